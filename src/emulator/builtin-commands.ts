import type { OsType } from './types';

/**
 * The built-in command documents of a location, as the 2019 recording lists
 * them (same order, labels and descriptions). Only RunShellScript's script and
 * parameters are recorded; the other scripts are stand-ins of the same intent
 * (a Windows script given to a Linux-flavoured VM fails like it would there).
 */

export const RUN_COMMAND_SCHEMA = 'http://schema.management.azure.com/schemas/2016-11-17/runcommands.json';

export interface RunCommandParameterDefinition {
  name: string;
  type: 'string';
  defaultValue?: string;
  required: boolean;
}

export interface RunCommandDocument {
  id: string;
  osType: OsType;
  label: string;
  description: string;
  script: string[];
  parameters: RunCommandParameterDefinition[];
}

export const BUILT_IN_COMMANDS: readonly RunCommandDocument[] = [
  {
    id: "EnableRemotePS",
    osType: "Windows",
    label: "Enable remote PowerShell",
    description:
      "Configure the machine to enable remote PowerShell.",
    script: ["Enable-PSRemoting -Force"],
    parameters: [],
  },
  {
    id: "IPConfig",
    osType: "Windows",
    label: "List IP configuration",
    description:
      "Shows detailed information for the IP address, subnet mask and default gateway for each adapter bound to TCP/IP.",
    script: ["ipconfig /all"],
    parameters: [],
  },
  {
    id: "RunPowerShellScript",
    osType: "Windows",
    label: "Executes a PowerShell script",
    description:
      "Custom multiline PowerShell script should be defined in script property. Optional parameters can be set in parameters property.",
    script: ["param(", "    [string]$arg1,", "    [string]$arg2", ")", "Write-Host This is a sample script with parameters $arg1 $arg2"],
    parameters: [{ name: "arg1", type: "string", required: false }, { name: "arg2", type: "string", required: false }],
  },
  {
    id: "RunShellScript",
    osType: "Linux",
    label: "Executes a Linux shell script",
    description:
      "Custom multiline shell script should be defined in script property. Optional parameters can be set in parameters property.",
    script: ["echo This is a sample script", "echo Optional parameters: $0 $1"],
    parameters: [{ name: "arg1", type: "string", required: false }, { name: "arg2", type: "string", required: false }],
  },
  {
    id: "ifconfig",
    osType: "Linux",
    label: "List network configuration",
    description:
      "Get the configuration of all network interfaces.",
    script: ["ifconfig"],
    parameters: [],
  },
  {
    id: "EnableAdminAccount",
    osType: "Windows",
    label: "Enable administrator account",
    description:
      "Checks if the local Administrator account is disabled, and if so enables it.",
    script: ["net user Administrator /active:yes"],
    parameters: [],
  },
  {
    id: "RDPSettings",
    osType: "Windows",
    label: "Verify RDP Listener Settings",
    description:
      "Checks registry settings and domain policy settings. Suggests policy actions if machine is part of a domain or modifies the settings to default values.",
    script: ["Get-ItemProperty -Path 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server'"],
    parameters: [],
  },
  {
    id: "SetRDPPort",
    osType: "Windows",
    label: "Set Remote Desktop port",
    description:
      "Sets the default or user specified port number for Remote Desktop connections. Enables firewall rule for inbound access to the port.",
    script: ["param([string]$RDPPort = 3389)", "Set-ItemProperty -Path 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name PortNumber -Value $RDPPort"],
    parameters: [{ name: "RDPPort", type: "string", required: false }],
  },
  {
    id: "ResetRDPCert",
    osType: "Windows",
    label: "Restore RDP Authentication mode to defaults",
    description:
      "Removes the SSL certificate tied to the RDP listener and restores the RDP listener security to default. Use this script if you see any issues with the certificate.",
    script: ["Remove-Item -Path 'Cert:\\LocalMachine\\Remote Desktop\\*'"],
    parameters: [],
  },
  {
    id: "DisableNLA",
    osType: "Windows",
    label: "Disable Network Level Authentication",
    description:
      "Disables Network Level Authentication (NLA). You must restart the VM after the script completes for the change to take effect. The script itself does not restart the VM. You can use this script to disable NLA if RDP connections are failing with error 'The remote computer that you are trying to connect to requires Network Level Authentication (NLA), but your Windows domain controller cannot be contacted to perform NLA.' or error 'An authentication error has occurred. The Local Security Authority cannot be contacted.' NLA is a security feature that should only be disabled temporarily to allow RDP connections to succeed until the domain controller connectivity issue has been resolved.",
    script: ["Set-ItemProperty -Path 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 0"],
    parameters: [],
  },
  {
    id: "RemoveRunCommandWindowsExtension",
    osType: "Windows",
    label: "Removes the internal RunCommandWindows extension",
    description:
      "Removes RunCommandWindows extension deployed to execute previous RunCommand operations.",
    script: ["Write-Host Removing the RunCommandWindows extension"],
    parameters: [],
  },
  {
    id: "RemoveRunCommandLinuxExtension",
    osType: "Linux",
    label: "Removes the internal RunCommandLinux extension",
    description:
      "Removes RunCommandLinux extension deployed to execute previous RunCommand operations.",
    script: ["echo Removing the RunCommandLinux extension"],
    parameters: [],
  },
  {
    id: "EnableEMS",
    osType: "Windows",
    label: "Enable EMS",
    description:
      "Enable Emergency Management Services (EMS) to allow for serial console connection in troubleshooting scenarios.",
    script: ["bcdedit /ems '{current}' on"],
    parameters: [],
  },
  {
    id: "DisableWindowsUpdate",
    osType: "Windows",
    label: "Disable Windows Update Automatic Updates",
    description:
      "Disable Automatic Updates through Windows Update.",
    script: ["Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' -Name NoAutoUpdate -Value 1"],
    parameters: [],
  },
  {
    id: "EnableWindowsUpdate",
    osType: "Windows",
    label: "Enable Windows Update Automatic Updates",
    description:
      "Enable Automatic Updates through Windows Update.",
    script: ["Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' -Name NoAutoUpdate -Value 0"],
    parameters: [],
  },
];

const byId = new Map(BUILT_IN_COMMANDS.map((doc) => [doc.id.toLowerCase(), doc]));

/** Command ids are matched case-insensitively, like other ARM names. */
export function findBuiltInCommand(commandId: string): RunCommandDocument | undefined {
  return byId.get(commandId.toLowerCase());
}

/** The list entry (RunCommandDocumentBase) and the full document, in the recording's key order. */
export function documentBase(doc: RunCommandDocument): Record<string, unknown> {
  return { $schema: RUN_COMMAND_SCHEMA, id: doc.id, osType: doc.osType, label: doc.label, description: doc.description };
}

export function documentFull(doc: RunCommandDocument): Record<string, unknown> {
  return { script: doc.script, parameters: doc.parameters, ...documentBase(doc) };
}
