package dcbootstrap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

// MaxUserDataBytes is the most user data EC2 accepts, before base64.
//
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html
const MaxUserDataBytes = 16 * 1024

// Where the Windows script keeps its state and progress.
const (
	// WindowsLogPath is the script's own log on the instance.
	WindowsLogPath = `C:\ProgramData\ssm-runas\domain-controller.log`
	// WindowsPhaseKey is the registry key of the phase flag (value Phase)
	// and of the digest of the last applied seed (value SeedDigest).
	WindowsPhaseKey = `HKLM:\SOFTWARE\ssm-runas`
)

// Phases the registry flag records.
const (
	PhasePromote  = "promote"
	PhaseSeed     = "seed"
	PhaseComplete = "complete"
)

// AmazonDNS is the Amazon-provided DNS server every VPC instance can reach;
// the domain controller forwards the names it does not own to it.
//
// https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html
const AmazonDNS = "169.254.169.253"

// Grant is one dsacls permission of the join account on the join OU.
type Grant struct {
	// Inherit is dsacls' /I: flag: T (the OU and its children) or S (its
	// children only).
	Inherit string
	// Right is the permission and its object, e.g. CCDC;computer.
	Right string
}

// JoinGrants are what the join account needs, on the join OU only, to
// create computer accounts (adcli join) and keep them: create and delete
// computer objects, and on computer objects read and write properties,
// reset and change the password, and the validated writes of the service
// principal names and the DNS host name. No other right anywhere.
var JoinGrants = []Grant{
	{"T", "CCDC;computer"},
	{"S", "LC;;computer"},
	{"S", "RC;;computer"},
	{"S", "RPWP;;computer"},
	{"S", "CA;Reset Password;computer"},
	{"S", "CA;Change Password;computer"},
	{"S", "WS;Validated write to service principal name;computer"},
	{"S", "WS;Validated write to DNS host name;computer"},
}

// WindowsUserData renders the user data of the Windows domain controller:
// the script of WindowsScript, wrapped for EC2Launch v2 to run at every boot.
func WindowsUserData(d Domain) ([]byte, error) {
	script, err := WindowsScript(d)
	if err != nil {
		return nil, err
	}
	out := []byte("<powershell>\n" + string(script) + "</powershell>\n<persist>true</persist>\n")
	if err := FitsUserData(out); err != nil {
		return nil, err
	}
	return out, nil
}

// FitsUserData refuses a rendering that EC2 would not take as an
// instance's user data (either engine's, whose bootstrap is the user
// data).
func FitsUserData(userData []byte) error {
	if len(userData) > MaxUserDataBytes {
		return fmt.Errorf("rendering the domain controller's user data: %d bytes, more than the %d EC2 accepts; seed fewer objects at boot", len(userData), MaxUserDataBytes)
	}
	return nil
}

// WindowsScript renders the PowerShell script the user data runs.
func WindowsScript(d Domain) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("rendering the domain controller's user data: %w", err)
	}
	seed, err := WindowsSeed(d)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# Managed by ssm-runas: builds an Active Directory domain controller in two phases.\n")
	b.WriteString("# Runs at every boot; the phase flag and the machine's own state say what is left to do.\n")
	b.WriteString("$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n")
	for _, v := range []struct{ name, value string }{
		{"DomainName", d.Name},
		{"NetbiosName", d.NetBIOS},
		{"Region", d.Region},
		{"AdminSecretArn", d.AdminSecretARN},
		{"JoinSecretArn", d.JoinSecretARN},
		{"JoinUser", d.JoinUser},
		{"JoinOU", d.JoinOUDN()},
		{"UsersContainer", "CN=Users," + d.Seed.BaseDN()},
		{"StatusParameter", d.StatusParameter},
		{"SeedDigest", digest(string(seed))},
		{"LogFile", WindowsLogPath},
		{"PhaseKey", WindowsPhaseKey},
		{"AmazonDns", AmazonDNS},
	} {
		fmt.Fprintf(&b, "$%s = %s\n", v.name, psQuote(v.value))
	}
	b.WriteString(windowsFunctions)
	b.WriteString("\nfunction Invoke-Seed {\n")
	b.WriteString(indent(string(seed)))
	b.WriteString(windowsJoinAccount)
	b.WriteString("}\n")
	b.WriteString(windowsMain)
	out := b.String()
	if err := residue(out); err != nil {
		return nil, fmt.Errorf("rendering the domain controller's user data: %w", err)
	}
	return []byte(out), nil
}

// WindowsSeed renders the seed as PowerShell calls of the script's
// Add-Seed* functions, one per object, every value single-quoted: OUs
// parents first, then groups, users, and the memberships last (members may
// be groups).
func WindowsSeed(d Domain) ([]byte, error) {
	s := d.Seed
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("rendering the Windows directory seed: %w", err)
	}
	base := s.BaseDN()
	var b strings.Builder
	for _, ou := range s.OUs {
		name, parent, _ := strings.Cut(ou, ",")
		path := base
		if parent != "" {
			path = parent + "," + base
		}
		fmt.Fprintf(&b, "Add-SeedOU -Name %s -Path %s\n", psQuote(strings.TrimPrefix(name, "OU=")), psQuote(path))
	}
	for _, g := range s.Groups {
		fmt.Fprintf(&b, "Add-SeedGroup -Name %s -Path %s -Gid %d\n", psQuote(g.Name), psQuote("CN=Users,"+base), g.GID)
	}
	for _, u := range s.Users {
		b.WriteString(windowsUser(u, base))
	}
	for _, g := range s.Groups {
		if len(g.Members) > 0 {
			fmt.Fprintf(&b, "Add-SeedMembers -Group %s -Members %s\n", psQuote(g.Name), psArray(g.Members))
		}
	}
	out := b.String()
	if err := residue(out); err != nil {
		return nil, fmt.Errorf("rendering the Windows directory seed: %w", err)
	}
	return []byte(out), nil
}

func windowsUser(u directory.User, base string) string {
	path := "CN=Users," + base
	if u.OU != "" {
		path = u.OU + "," + base
	}
	args := []string{
		"-Name " + psQuote(u.Name),
		"-Path " + psQuote(path),
		"-GivenName " + psQuote(u.GivenName),
		"-Surname " + psQuote(u.Surname),
		"-Disabled $" + strconv.FormatBool(u.Disabled),
	}
	if p := u.POSIX; p != nil {
		shell := p.Shell
		if shell == "" {
			shell = directory.DefaultShell
		}
		args = append(args,
			"-Uid "+strconv.Itoa(p.UID), "-Gid "+strconv.Itoa(p.GID),
			"-UnixHome "+psQuote(u.HomeOf()), "-LoginShell "+psQuote(shell))
	}
	return "Add-SeedUser " + strings.Join(args, " ") + "\n"
}

// residue fails when rendered text holds what a template engine or
// CloudFormation's Fn::Sub would read as its own syntax.
func residue(s string) error {
	for _, bad := range []string{"{{", "${"} {
		if strings.Contains(s, bad) {
			return errors.New("the script contains " + bad + ", which a template engine or Fn::Sub would read")
		}
	}
	return nil
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("    " + line)
		}
	}
	return b.String()
}

// windowsFunctions are the script's helpers. They take every value as a
// parameter or from the variables the script sets first.
const windowsFunctions = `
function Write-Log {
    param([string] $Message)
    $dir = Split-Path -Parent $LogFile
    if (-not (Test-Path -LiteralPath $dir)) {
        New-Item -ItemType Directory -Path $dir | Out-Null
    }
    $line = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') + ' ' + $Message
    Add-Content -LiteralPath $LogFile -Value $line
    Write-Output $line
}

function Get-State {
    param([string] $Name)
    $item = Get-ItemProperty -LiteralPath $PhaseKey -ErrorAction SilentlyContinue
    if ($null -eq $item) {
        return ''
    }
    return [string] $item.$Name
}

function Set-Phase {
    param([string] $Phase, [string] $Digest)
    if (-not (Test-Path -LiteralPath $PhaseKey)) {
        New-Item -Path $PhaseKey | Out-Null
    }
    Set-ItemProperty -LiteralPath $PhaseKey -Name 'Phase' -Value $Phase
    Set-ItemProperty -LiteralPath $PhaseKey -Name 'SeedDigest' -Value $Digest
    Write-Log ('phase: ' + $Phase)
}

# Set-Status records progress where the stack and the audit read it; a
# failure to record it is logged, never fatal.
function Set-Status {
    param([string] $Status)
    try {
        Write-SSMParameter -Name $StatusParameter -Value $Status -Type 'String' -Overwrite $true -Region $Region | Out-Null
    } catch {
        Write-Log ('could not record the status ' + $Status + ' in ' + $StatusParameter + ': ' + $_.Exception.Message)
    }
}

# Read-Secret returns a secret's value; it is never logged.
function Read-Secret {
    param([string] $SecretArn)
    return (Get-SECSecretValue -SecretId $SecretArn -Region $Region).SecretString
}

function New-RandomPassword {
    $bytes = New-Object 'byte[]' 24
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    $rng.GetBytes($bytes)
    $rng.Dispose()
    return ConvertTo-SecureString -String ('Aa1!' + [Convert]::ToBase64String($bytes)) -AsPlainText -Force
}

function Test-DomainController {
    return (Get-CimInstance -ClassName 'Win32_ComputerSystem').DomainRole -ge 4
}

# Phase 1: the AD DS role and the forest. Install-ADDSForest restarts the
# instance; the phase flag says seed before it starts.
function Invoke-Promotion {
    Set-Status 'installing'
    Write-Log 'installing the AD DS role'
    Install-WindowsFeature -Name 'AD-Domain-Services' -IncludeManagementTools | Out-Null
    $password = ConvertTo-SecureString -String (Read-Secret $AdminSecretArn) -AsPlainText -Force
    # The local Administrator becomes the domain's Administrator.
    Set-LocalUser -Name 'Administrator' -Password $password
    Set-Phase 'seed' ''
    Set-Status 'promoting'
    Write-Log ('promoting the forest ' + $DomainName + ' (' + $NetbiosName + '); the instance restarts when it is done')
    $result = Install-ADDSForest -DomainName $DomainName -DomainNetbiosName $NetbiosName -SafeModeAdministratorPassword $password -InstallDns -Force -Confirm:$false
    if ($null -ne $result -and [string] $result.Status -eq 'Error') {
        throw ('Install-ADDSForest: ' + $result.Message)
    }
}

function Wait-Directory {
    for ($i = 0; $i -lt 60; $i++) {
        try {
            Get-ADDomain -Identity $DomainName | Out-Null
            return
        } catch {
            Write-Log 'waiting for Active Directory Web Services'
            Start-Sleep -Seconds 10
        }
    }
    throw 'Active Directory Web Services did not answer within 10 minutes'
}

function Add-SeedOU {
    param([string] $Name, [string] $Path)
    $dn = 'OU=' + $Name + ',' + $Path
    $exists = $true
    try {
        Get-ADOrganizationalUnit -Identity $dn | Out-Null
    } catch [Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException] {
        $exists = $false
    }
    if ($exists) {
        Write-Log ('OU exists: ' + $dn)
        return
    }
    New-ADOrganizationalUnit -Name $Name -Path $Path -ProtectedFromAccidentalDeletion $false
    Write-Log ('OU created: ' + $dn)
}

function Add-SeedGroup {
    param([string] $Name, [string] $Path, [int] $Gid)
    $exists = $true
    try {
        Get-ADGroup -Identity $Name | Out-Null
    } catch [Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException] {
        $exists = $false
    }
    if ($exists) {
        Write-Log ('group exists: ' + $Name)
        return
    }
    New-ADGroup -Name $Name -SamAccountName $Name -GroupCategory 'Security' -GroupScope 'Global' -Path $Path
    if ($Gid -gt 0) {
        Set-ADGroup -Identity $Name -Replace @{ gidNumber = $Gid }
    }
    Write-Log ('group created: ' + $Name)
}

# Add-SeedUser creates a missing user with a random password (people reach
# hosts through Session Manager, never with a directory password) and the
# RFC2307 attributes when it has them; existing users are left as they are,
# except that a disabled user is disabled again.
function Add-SeedUser {
    param([string] $Name, [string] $Path, [string] $GivenName, [string] $Surname, [bool] $Disabled,
        [int] $Uid = 0, [int] $Gid = 0, [string] $UnixHome = '', [string] $LoginShell = '')
    $exists = $true
    try {
        Get-ADUser -Identity $Name | Out-Null
    } catch [Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException] {
        $exists = $false
    }
    if ($exists) {
        Write-Log ('user exists: ' + $Name)
    } else {
        $params = @{
            Name              = $Name
            SamAccountName    = $Name
            UserPrincipalName = $Name + '@' + $DomainName
            Path              = $Path
            AccountPassword   = New-RandomPassword
            Enabled           = -not $Disabled
        }
        if ($GivenName -ne '') {
            $params['GivenName'] = $GivenName
        }
        if ($Surname -ne '') {
            $params['Surname'] = $Surname
        }
        New-ADUser @params
        if ($Uid -gt 0) {
            Set-ADUser -Identity $Name -Replace @{ uidNumber = $Uid; gidNumber = $Gid; unixHomeDirectory = $UnixHome; loginShell = $LoginShell }
        }
        Write-Log ('user created: ' + $Name)
    }
    if ($Disabled) {
        Disable-ADAccount -Identity $Name
    }
}

function Add-SeedMembers {
    param([string] $Group, [string[]] $Members)
    $current = @(Get-ADGroupMember -Identity $Group | Select-Object -ExpandProperty SamAccountName)
    $missing = @($Members | Where-Object { $current -notcontains $_ })
    if ($missing.Count -eq 0) {
        Write-Log ('members of ' + $Group + ' are in place')
        return
    }
    Add-ADGroupMember -Identity $Group -Members $missing
    Write-Log ('added to ' + $Group + ': ' + ($missing -join ', '))
}

# Grant-Join gives the join account one right on the join OU; granting it
# again changes nothing.
function Grant-Join {
    param([string] $Inherit, [string] $Right)
    $principal = $NetbiosName + '\' + $JoinUser
    $out = & dsacls.exe $JoinOU ('/I:' + $Inherit) '/G' ($principal + ':' + $Right) 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw ('dsacls ' + $Right + ' on ' + $JoinOU + ' failed: ' + ($out -join ' '))
    }
    Write-Log ('granted ' + $Right + ' on ' + $JoinOU + ' to ' + $principal)
}
`

// windowsJoinAccount ends Invoke-Seed: the join account, its password from
// the join secret (set again at every run, so a rotated secret takes
// effect), and its rights on the join OU.
var windowsJoinAccount = `    $join = Read-Secret $JoinSecretArn | ConvertFrom-Json
    if ([string] $join.` + JoinSecretUsernameKey + ` -ne $JoinUser) {
        throw ('the join secret names another account than ' + $JoinUser)
    }
    $joinPassword = ConvertTo-SecureString -String ([string] $join.` + JoinSecretPasswordKey + `) -AsPlainText -Force
    $exists = $true
    try {
        Get-ADUser -Identity $JoinUser | Out-Null
    } catch [Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException] {
        $exists = $false
    }
    if ($exists) {
        Set-ADAccountPassword -Identity $JoinUser -Reset -NewPassword $joinPassword
        Write-Log ('join account exists, password set from the join secret: ' + $JoinUser)
    } else {
        New-ADUser -Name $JoinUser -SamAccountName $JoinUser -Path $UsersContainer -AccountPassword $joinPassword -Enabled $true -PasswordNeverExpires $true -CannotChangePassword $true -Description 'ssm-runas: joins Linux hosts to the domain'
        Write-Log ('join account created: ' + $JoinUser)
    }
` + joinGrantCalls() + `    Set-DnsServerForwarder -IPAddress $AmazonDns
    Write-Log ('DNS forwarder: ' + $AmazonDns)
`

func joinGrantCalls() string {
	var b strings.Builder
	for _, g := range JoinGrants {
		fmt.Fprintf(&b, "    Grant-Join -Inherit %s -Right %s\n", psQuote(g.Inherit), psQuote(g.Right))
	}
	return b.String()
}

// windowsMain decides from the machine and the flag what this boot does.
const windowsMain = `
try {
    $phase = Get-State 'Phase'
    Write-Log ('boot; phase flag: ' + $phase)
    if (-not (Test-DomainController)) {
        if ($phase -eq 'seed') {
            Write-Log 'the last promotion did not finish; promoting again'
        }
        Invoke-Promotion
        Write-Log 'promotion started; the instance restarts'
        exit 0
    }
    if ($phase -eq 'complete' -and (Get-State 'SeedDigest') -eq $SeedDigest) {
        Write-Log 'the domain controller is complete; nothing to do'
        Set-Status 'complete'
        exit 0
    }
    Set-Status 'seeding'
    Wait-Directory
    Invoke-Seed
    Set-Phase 'complete' $SeedDigest
    Set-Status 'complete'
    Write-Log 'complete'
} catch {
    Write-Log ('failed: ' + $_.Exception.Message)
    Set-Status 'failed'
    exit 1
}
`
