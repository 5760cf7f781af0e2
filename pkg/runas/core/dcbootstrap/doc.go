// Package dcbootstrap renders what a new domain controller runs at boot, from
// typed inputs, with no Pulumi and no network:
//
//   - WindowsUserData: the EC2 user data of a Windows Server 2022 instance
//     (<powershell>...</powershell><persist>true</persist>). EC2Launch v2
//     runs it at every boot. Install-ADDSForest restarts the instance and
//     nothing after it in the same run executes, so the script keeps a phase
//     flag in the registry (HKLM:\SOFTWARE\ssm-runas, value Phase) and decides
//     from it and from the machine's own state what to do: phase 1 installs
//     AD DS and promotes the forest, phase 2 (after the restart) seeds the
//     directory (directory.Seed rendered with New-ADOrganizationalUnit,
//     New-ADGroup, New-ADUser, Add-ADGroupMember) and creates the join
//     account, delegated on one OU with dsacls. Each phase is idempotent.
//   - SambaBootstrap: the bash script of the Samba engine, which provisions a
//     Samba AD domain on Debian and applies the same seed's Samba rendering.
//
// Passwords never appear in what is rendered: the scripts read them at run
// time from Secrets Manager by ARN with the instance's role. Progress goes to
// a log file on the instance (WindowsLogPath, SambaLogPath) and the outcome
// to an SSM parameter (StatusParameter) the stack outputs and `runas audit`
// reads.
//
// Every value is put in a script in one way only: PowerShell single-quoted
// strings (a quote doubled), bash single-quoted words. Nothing goes through
// text/template, so `{{`, `${` and `%` in values have no meaning here, and
// the rendered text contains neither `{{` nor `${`.
//
// EC2Launch v2 user data: https://docs.aws.amazon.com/AWSEC2/latest/WindowsGuide/ec2launch-v2-settings.html#ec2launch-v2-task-configuration
// Install-ADDSForest: https://learn.microsoft.com/en-us/powershell/module/addsdeployment/install-addsforest
// Get-SECSecretValue: https://docs.aws.amazon.com/powershell/latest/reference/items/Get-SECSecretValue.html
// PowerShell quoting rules: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_quoting_rules
// dsacls: https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2012-r2-and-2012/cc771151(v=ws.11)
// Samba AD DC: https://wiki.samba.org/index.php/Setting_up_Samba_as_an_Active_Directory_Domain_Controller
package dcbootstrap
