#!powershell

# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# The Windows executor of kmsops.kms (kms_host, kms_client, kms_info). It makes no decisions:
# it reads the licensing state, applies the operations it is given in order (stopping at the
# first failure, except for an operation marked on_error=warn, which is reported in soft_failed)
# and reads the state back. Every decision is made in Python on the controller.
#
# It does not depend on the wrapper's $ErrorActionPreference: every cmdlet whose failure must stop
# the operation has -ErrorAction Stop. A failure is returned as data (failure: the operation, the
# code as 0x%08X - the HResult of a CIM exception, where Software Protection puts its licensing
# error code, or a method's non-zero ReturnValue - and the message); what the code means is looked
# up in Python. The read-back after the operations is tried read_attempts times, read_delay_seconds
# apart (both chosen in Python); when it still throws, state_error names the part that could not
# be read, and what was applied is returned all the same.

$spec = @{
    options = @{
        operations = @{ type = 'list'; elements = 'dict'; default = @() }
        product_key = @{ type = 'str'; no_log = $true }
        confirmation_id = @{ type = 'str'; no_log = $true }
        read_attempts = @{ type = 'int'; default = 1 }
        read_delay_seconds = @{ type = 'int'; default = 0 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$regPath = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform'
# the 32-bit view, where slmgr.vbs /ipk also writes KeyManagementServiceVersion
$regPath32 = 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform'
$regPaths = @{ native = $regPath; wow6432 = $regPath32 }
$windowsAppId = '55c92734-d682-4d71-983e-d6ec3f16059f'
$serviceMethods = @(
    'InstallProductKey', 'RefreshLicenseStatus',
    'SetKeyManagementServiceListeningPort', 'ClearKeyManagementServiceListeningPort',
    'DisableKeyManagementServiceDnsPublishing', 'SetVLActivationInterval', 'SetVLRenewalInterval',
    'SetKeyManagementServiceMachine', 'ClearKeyManagementServiceMachine',
    'SetKeyManagementServicePort', 'ClearKeyManagementServicePort',
    'SetKeyManagementServiceLookupDomain', 'ClearKeyManagementServiceLookupDomain',
    'DisableKeyManagementServiceHostCaching', 'EnableKeyManagementServiceLowPriority'
)
$productMethods = @(
    'Activate', 'DepositOfflineConfirmationId',
    'ClearKeyManagementServiceMachine', 'ClearKeyManagementServicePort', 'ClearKeyManagementServiceLookupDomain'
)
$registryNames = @('DnsDomainPublishList', 'EnableKmsLowPriority', 'DisableDnsPublishing', 'KeyManagementServiceVersion')
$registryWritable = @('DnsDomainPublishList', 'KeyManagementServiceVersion')
$fwRule = 'kmsops-kms-KMS-In-TCP'
$fwBuiltinRule = 'SPPSVC-In-TCP'
$script:readPart = $null
$serviceProperties = @(
    'Version', 'IsKeyManagementServiceMachine', 'KeyManagementServiceCurrentCount', 'RequiredClientCount',
    'KeyManagementServiceListeningPort', 'KeyManagementServiceDnsPublishing', 'KeyManagementServiceLowPriority',
    'KeyManagementServiceHostCaching', 'KeyManagementServiceProductKeyID', 'VLActivationInterval',
    'VLRenewalInterval', 'KeyManagementServiceMachine', 'KeyManagementServicePort',
    'KeyManagementServiceLookupDomain'
)
$productProperties = @(
    'ID', 'Name', 'Description', 'LicenseStatus', 'PartialProductKey', 'ProductKeyID', 'LicenseFamily',
    'OfflineInstallationId', 'GracePeriodRemaining', 'LicenseIsAddon',
    'DiscoveredKeyManagementServiceMachineName', 'DiscoveredKeyManagementServiceMachinePort',
    'DiscoveredKeyManagementServiceMachineIpAddress', 'IsKeyManagementServiceMachine',
    'KeyManagementServiceMachine', 'KeyManagementServicePort', 'KeyManagementServiceLookupDomain'
)
$otherProductProperties = @('ApplicationID', 'Name', 'Description', 'IsKeyManagementServiceMachine')

Function Get-LicensingState {
    # $script:readPart names what is being read, for the error when a read throws
    $script:readPart = 'Win32_OperatingSystem'
    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
    $script:readPart = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $cv = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction Stop
    $script:readPart = 'SoftwareLicensingService'
    $svc = Get-CimInstance -ClassName SoftwareLicensingService -ErrorAction Stop
    $service = @{}
    foreach ($p in $serviceProperties) { $service[$p] = $svc.$p }
    $script:readPart = 'SoftwareLicensingProduct'
    $filter = "ApplicationID='$windowsAppId' AND PartialProductKey IS NOT NULL"
    $products = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $filter -ErrorAction Stop | ForEach-Object {
            $item = @{}
            foreach ($p in $productProperties) { $item[$p] = $_.$p }
            $item
        })
    $script:readPart = 'Windows Firewall rules'
    $firewall = @{ rule_port = $null; rule_profiles = $null; builtin_exists = $false; builtin_enabled = $null; builtin_profiles = $null }
    try {
        # a rule that does not exist is no error (SilentlyContinue); a missing NetSecurity module is
        $rule = Get-NetFirewallRule -Name $fwRule -ErrorAction SilentlyContinue
        if ($rule) {
            $firewall.rule_port = [int]($rule | Get-NetFirewallPortFilter -ErrorAction Stop).LocalPort
            $firewall.rule_profiles = [string]$rule.Profile
        }
        $builtin = Get-NetFirewallRule -Name $fwBuiltinRule -ErrorAction SilentlyContinue
        if ($builtin) {
            $firewall.builtin_exists = $true
            $firewall.builtin_enabled = [string]$builtin.Enabled -eq 'True'
            $firewall.builtin_profiles = [string]$builtin.Profile
        }
    }
    catch { $firewall.error = $_.Exception.Message }
    $script:readPart = 'SoftwareLicensingProduct (other applications)'
    $otherFilter = "ApplicationID<>'$windowsAppId' AND PartialProductKey IS NOT NULL"
    $otherProducts = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $otherFilter -ErrorAction Stop | ForEach-Object {
            $item = @{}
            foreach ($p in $otherProductProperties) { $item[$p] = $_.$p }
            $item
        })
    $script:readPart = $regPath
    $reg = Get-ItemProperty -LiteralPath $regPath -ErrorAction SilentlyContinue
    $registry = @{}
    foreach ($n in $registryNames) { $registry[$n] = if ($reg) { $reg.$n } else { $null } }
    $reg32 = Get-ItemProperty -LiteralPath $regPath32 -ErrorAction SilentlyContinue
    $registry32 = @{
        present = Test-Path -LiteralPath $regPath32
        KeyManagementServiceVersion = if ($reg32) { $reg32.KeyManagementServiceVersion } else { $null }
    }
    $script:readPart = 'the .NET Framework version and the primary DNS suffix'
    $ndp = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -ErrorAction SilentlyContinue
    @{
        computer_name = $env:COMPUTERNAME
        os = @{
            caption = $os.Caption
            edition_id = $cv.EditionID
            build = [int]$os.BuildNumber
            product_type = [int]$os.ProductType
            powershell_version = $PSVersionTable.PSVersion.ToString()
            dotnet4_version = if ($ndp) { $ndp.Version } else { $null }
        }
        dns_domain = [System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties().DomainName
        service = $service
        products = $products
        other_products = $otherProducts
        registry = $registry
        registry_wow6432 = $registry32
        firewall = $firewall
    }
}

Function Read-LicensingState([int]$attempts, [int]$delay) {
    # bounded retries of the read-back (sppsvc may still be starting after its restart)
    $lastError = $null
    for ($n = 1; $n -le [Math]::Max(1, $attempts); $n++) {
        try { return @{ state = Get-LicensingState } }
        catch {
            $lastError = @{ part = $script:readPart; message = $_.Exception.Message; code = Get-ErrorCode $_; attempts = $n }
            if ($n -lt $attempts -and $delay -gt 0) { Start-Sleep -Seconds $delay }
        }
    }
    @{ error = $lastError }
}

Function Get-ErrorCode($errorRecord) {
    # the licensing error code: a non-zero ReturnValue (Data.kmsops_code) or the HResult of a CIM exception
    $exception = $errorRecord.Exception
    if ($exception.Data.Contains('kmsops_code')) { return $exception.Data['kmsops_code'] }
    if ($exception.GetType().FullName -eq 'Microsoft.Management.Infrastructure.CimException') {
        return '0x{0:X8}' -f $exception.HResult
    }
    $null
}

Function Assert-ReturnValue($method, $result) {
    if ($result.ReturnValue) {
        $code = '0x{0:X8}' -f $result.ReturnValue
        $exception = New-Object -TypeName System.Exception -ArgumentList "$method returned $code"
        $exception.Data['kmsops_code'] = $code
        throw $exception
    }
}

Function Get-MethodArgument($op) {
    $arguments = @{}
    if ($op.args) { foreach ($k in $op.args.Keys) { $arguments[$k] = $op.args[$k] } }
    if ($op.secret_args) {
        foreach ($k in $op.secret_args.Keys) {
            $source = $op.secret_args[$k]
            if ($source -notin @('product_key', 'confirmation_id')) { throw "unknown secret source '$source'" }
            $arguments[$k] = $module.Params[$source]
        }
    }
    $arguments
}

Function Get-RegistryPath($op) {
    $view = if ($op.view) { [string]$op.view } else { 'native' }
    if (-not $regPaths.ContainsKey($view)) { throw "registry view '$view' is not allowed" }
    $regPaths[$view]
}

Function Invoke-Operation($op) {
    switch ($op.action) {
        'service' {
            if ($op.method -notin $serviceMethods) { throw "service method '$($op.method)' is not allowed" }
            $svc = Get-CimInstance -ClassName SoftwareLicensingService -ErrorAction Stop
            $r = Invoke-CimMethod -InputObject $svc -MethodName $op.method -Arguments (Get-MethodArgument $op) -ErrorAction Stop
            Assert-ReturnValue $op.method $r
        }
        'product' {
            if ($op.method -notin $productMethods) { throw "product method '$($op.method)' is not allowed" }
            $filter = "ApplicationID='$windowsAppId' AND PartialProductKey='$($op.partial_key -replace '[^A-Z0-9]', '')'"
            $product = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $filter -ErrorAction Stop)
            if ($product.Count -ne 1) { throw "found $($product.Count) Windows products with partial key $($op.partial_key)" }
            $r = Invoke-CimMethod -InputObject $product[0] -MethodName $op.method -Arguments (Get-MethodArgument $op) -ErrorAction Stop
            Assert-ReturnValue $op.method $r
        }
        'registry_set' {
            if ($op.name -notin $registryWritable) { throw "registry value '$($op.name)' is not allowed" }
            $path = Get-RegistryPath $op
            $value = if ($op.type -eq 'MultiString') { [string[]]@($op.value) } else { $op.value }
            $null = New-ItemProperty -LiteralPath $path -Name $op.name -PropertyType $op.type -Value $value -Force -ErrorAction Stop
        }
        'registry_remove' {
            if ($op.name -notin $registryWritable) { throw "registry value '$($op.name)' is not allowed" }
            # a missing value is no error (slmgr.vbs deletes without looking); any other failure is
            $path = Get-RegistryPath $op
            $current = Get-ItemProperty -LiteralPath $path -Name $op.name -ErrorAction SilentlyContinue
            if ($null -ne $current) { Remove-ItemProperty -LiteralPath $path -Name $op.name -ErrorAction Stop }
        }
        'restart_service' {
            if ($op.name -ne 'sppsvc') { throw "only sppsvc may be restarted" }
            Restart-Service -Name sppsvc -Force -ErrorAction Stop
        }
        'firewall_open' {
            if (Get-NetFirewallRule -Name $fwRule -ErrorAction SilentlyContinue) { Remove-NetFirewallRule -Name $fwRule -ErrorAction Stop }
            $null = New-NetFirewallRule -Name $fwRule -DisplayName 'Key Management Service (kmsops.kms port)' `
                -Direction Inbound -Protocol TCP -LocalPort ([int]$op.port) -Action Allow `
                -Profile ([string[]]@($op.profiles)) -ErrorAction Stop
        }
        'firewall_remove' {
            if (Get-NetFirewallRule -Name $fwRule -ErrorAction SilentlyContinue) { Remove-NetFirewallRule -Name $fwRule -ErrorAction Stop }
        }
        'firewall_enable_builtin' {
            Set-NetFirewallRule -Name $fwBuiltinRule -Profile ([string[]]@($op.profiles)) -Enabled True -ErrorAction Stop
        }
        default { throw "unknown action '$($op.action)'" }
    }
}

$operations = @($module.Params.operations)
if ($module.CheckMode -and $operations.Count -gt 0) {
    $module.FailJson('operations were given in check mode; the executor never writes in check mode')
}

$applied = [System.Collections.Generic.List[int]]@()
$softFailed = [System.Collections.Generic.List[object]]@()
$failure = $null
for ($i = 0; $i -lt $operations.Count; $i++) {
    try {
        Invoke-Operation $operations[$i]
        $applied.Add($i)
    }
    catch {
        $code = Get-ErrorCode $_
        if ($operations[$i].on_error -eq 'warn') {
            $softFailed.Add(@{ index = $i; msg = $_.Exception.Message; code = $code })
            continue
        }
        $failure = @{ index = $i; title = $operations[$i].title; code = $code; message = $_.Exception.Message }
        break
    }
}

$module.Result.changed = $applied.Count -gt 0
$module.Result.applied = @($applied)
$module.Result.soft_failed = @($softFailed)
$module.Result.failure = $failure
$read = Read-LicensingState $module.Params.read_attempts $module.Params.read_delay_seconds
if ($read.error) {
    # what was applied is in the result; the controller fails the task naming what was not read back
    $module.Result.state_error = $read.error
}
else { $module.Result.state = $read.state }
if ($failure) { $module.FailJson("operation $($failure.index + 1) ($($failure.title)) failed: $($failure.message)") }
if ($read.error) { $module.FailJson("the licensing state could not be read back ($($read.error.part)): $($read.error.message)") }
$module.ExitJson()
