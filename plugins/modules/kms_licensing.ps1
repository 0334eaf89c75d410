#!powershell

# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# The Windows executor of kmsops.kms (kms_host, kms_client, kms_info). It makes no decisions:
# it reads the licensing state, applies the operations it is given in order (stopping at the
# first failure, except for an operation marked on_error=warn, which is reported in soft_failed)
# and reads the state back. Every decision is made in Python on the controller.

$spec = @{
    options = @{
        operations = @{ type = 'list'; elements = 'dict'; default = @() }
        product_key = @{ type = 'str'; no_log = $true }
        confirmation_id = @{ type = 'str'; no_log = $true }
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
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $cv = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $svc = Get-CimInstance -ClassName SoftwareLicensingService
    $service = @{}
    foreach ($p in $serviceProperties) { $service[$p] = $svc.$p }
    $filter = "ApplicationID='$windowsAppId' AND PartialProductKey IS NOT NULL"
    $products = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $filter | ForEach-Object {
            $item = @{}
            foreach ($p in $productProperties) { $item[$p] = $_.$p }
            $item
        })
    $firewall = @{ rule_port = $null }
    try {
        $rule = Get-NetFirewallRule -Name $fwRule -ErrorAction SilentlyContinue
        if ($rule) { $firewall.rule_port = [int]($rule | Get-NetFirewallPortFilter).LocalPort }
    }
    catch { $firewall.error = $_.Exception.Message }
    $otherFilter = "ApplicationID<>'$windowsAppId' AND PartialProductKey IS NOT NULL"
    $otherProducts = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $otherFilter | ForEach-Object {
            $item = @{}
            foreach ($p in $otherProductProperties) { $item[$p] = $_.$p }
            $item
        })
    $reg = Get-ItemProperty -LiteralPath $regPath -ErrorAction SilentlyContinue
    $registry = @{}
    foreach ($n in $registryNames) { $registry[$n] = if ($reg) { $reg.$n } else { $null } }
    $reg32 = Get-ItemProperty -LiteralPath $regPath32 -ErrorAction SilentlyContinue
    $registry32 = @{
        present = Test-Path -LiteralPath $regPath32
        KeyManagementServiceVersion = if ($reg32) { $reg32.KeyManagementServiceVersion } else { $null }
    }
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
            $svc = Get-CimInstance -ClassName SoftwareLicensingService
            $r = Invoke-CimMethod -InputObject $svc -MethodName $op.method -Arguments (Get-MethodArgument $op)
            if ($r.ReturnValue) { throw ('{0} returned 0x{1:X8}' -f $op.method, $r.ReturnValue) }
        }
        'product' {
            if ($op.method -notin $productMethods) { throw "product method '$($op.method)' is not allowed" }
            $filter = "ApplicationID='$windowsAppId' AND PartialProductKey='$($op.partial_key -replace '[^A-Z0-9]', '')'"
            $product = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $filter)
            if ($product.Count -ne 1) { throw "found $($product.Count) Windows products with partial key $($op.partial_key)" }
            $r = Invoke-CimMethod -InputObject $product[0] -MethodName $op.method -Arguments (Get-MethodArgument $op)
            if ($r.ReturnValue) { throw ('{0} returned 0x{1:X8}' -f $op.method, $r.ReturnValue) }
        }
        'registry_set' {
            if ($op.name -notin $registryWritable) { throw "registry value '$($op.name)' is not allowed" }
            $path = Get-RegistryPath $op
            $value = if ($op.type -eq 'MultiString') { [string[]]@($op.value) } else { $op.value }
            $null = New-ItemProperty -LiteralPath $path -Name $op.name -PropertyType $op.type -Value $value -Force
        }
        'registry_remove' {
            if ($op.name -notin $registryWritable) { throw "registry value '$($op.name)' is not allowed" }
            Remove-ItemProperty -LiteralPath (Get-RegistryPath $op) -Name $op.name -ErrorAction SilentlyContinue
        }
        'restart_service' {
            if ($op.name -ne 'sppsvc') { throw "only sppsvc may be restarted" }
            Restart-Service -Name sppsvc -Force
        }
        'firewall_open' {
            Remove-NetFirewallRule -Name $fwRule -ErrorAction SilentlyContinue
            $null = New-NetFirewallRule -Name $fwRule -DisplayName 'Key Management Service (kmsops.kms port)' `
                -Direction Inbound -Protocol TCP -LocalPort ([int]$op.port) -Action Allow -Profile Any
        }
        'firewall_remove' { Remove-NetFirewallRule -Name $fwRule -ErrorAction SilentlyContinue }
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
        if ($operations[$i].on_error -eq 'warn') {
            $softFailed.Add(@{ index = $i; msg = $_.Exception.Message })
            continue
        }
        $failure = "operation $($i + 1) ($($operations[$i].title)) failed: $($_.Exception.Message)"
        break
    }
}

$module.Result.changed = $applied.Count -gt 0
$module.Result.applied = @($applied)
$module.Result.soft_failed = @($softFailed)
$module.Result.state = Get-LicensingState
if ($failure) { $module.FailJson($failure) }
$module.ExitJson()
