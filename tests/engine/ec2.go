package engine

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// The fakes of the network, the instances and the instance profiles the
// domain-controller program deploys: EC2 refuses a subnet outside its VPC,
// a route to a gateway that does not exist, an instance in a subnet, with
// a security group or with an instance profile that does not exist, a
// fixed address outside its subnet or already in use, and a VPC or subnet
// that still holds something.

// Resource type tokens of the domain-controller program's network and
// instances.
const (
	typeVpc                   = "aws:ec2/vpc:Vpc"
	typeSubnet                = "aws:ec2/subnet:Subnet"
	typeInternetGateway       = "aws:ec2/internetGateway:InternetGateway"
	typeRouteTable            = "aws:ec2/routeTable:RouteTable"
	typeRouteTableAssociation = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	typeSecurityGroup         = "aws:ec2/securityGroup:SecurityGroup"
	typeDhcpOptions           = "aws:ec2/vpcDhcpOptions:VpcDhcpOptions"
	typeDhcpOptionsAssoc      = "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation"
	typeInstance              = "aws:ec2/instance:Instance"
	typeInstanceProfile       = "aws:iam/instanceProfile:InstanceProfile"
)

// maxUserDataLength is the provider's limit on user_data (ValidateFunc
// StringLenBetween(0, 16384) in ec2_instance.go).
const maxUserDataLength = 16384

func init() {
	schemas[typeVpc] = resourceSchema{
		replaceOnChanges: []string{"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
		computedInputs: []string{"cidrBlock", "enableDnsHostnames", "enableNetworkAddressUsageMetrics", "ipv6CidrBlock",
			"ipv6CidrBlockNetworkBorderGroup"},
		defaults: map[string]any{"enableDnsSupport": true, "instanceTenancy": "default"},
		source:   tfAWS + "ec2/vpc_.go",
	}
	schemas[typeSubnet] = resourceSchema{
		replaceOnChanges: []string{"availabilityZone", "availabilityZoneId", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength",
			"ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength", "outpostArn", "vpcId"},
		computedInputs: []string{"availabilityZone", "availabilityZoneId", "cidrBlock", "ipv6CidrBlock", "privateDnsHostnameTypeOnLaunch"},
		defaults: map[string]any{"assignIpv6AddressOnCreation": false, "enableDns64": false,
			"enableResourceNameDnsAaaaRecordOnLaunch": false, "enableResourceNameDnsARecordOnLaunch": false,
			"ipv6Native": false, "mapPublicIpOnLaunch": false},
		source: tfAWS + "ec2/vpc_subnet.go",
	}
	schemas[typeInternetGateway] = resourceSchema{
		// vpc_id is Optional+Computed and not ForceNew: Update detaches and
		// attaches.
		computedInputs: []string{"vpcId"},
		source:         tfAWS + "ec2/vpc_internet_gateway.go",
	}
	schemas[typeRouteTable] = resourceSchema{
		replaceOnChanges: []string{"vpcId"},
		computedInputs:   []string{"propagatingVgws", "routes"},
		source:           tfAWS + "ec2/vpc_route_table.go",
	}
	schemas[typeRouteTableAssociation] = resourceSchema{
		// route_table_id is updated in place (ReplaceRouteTableAssociation).
		replaceOnChanges: []string{"gatewayId", "subnetId"},
		source:           tfAWS + "ec2/vpc_route_table_association.go",
	}
	schemas[typeSecurityGroup] = resourceSchema{
		replaceOnChanges: []string{"description", "name", "namePrefix", "vpcId"},
		computedInputs:   []string{"egress", "ingress", "name", "namePrefix", "vpcId"},
		defaults:         map[string]any{"description": "Managed by Terraform", "revokeRulesOnDelete": false},
		source:           tfAWS + "ec2/vpc_security_group.go",
	}
	schemas[typeDhcpOptions] = resourceSchema{
		// Every option is ForceNew: a DHCP options set cannot be changed.
		replaceOnChanges: []string{"domainName", "domainNameServers", "netbiosNameServers", "netbiosNodeType", "ntpServers"},
		source:           tfAWS + "ec2/vpc_dhcp_options.go",
	}
	schemas[typeDhcpOptionsAssoc] = resourceSchema{
		// dhcp_options_id is updated in place (AssociateDhcpOptions again).
		replaceOnChanges: []string{"vpcId"},
		source:           tfAWS + "ec2/vpc_dhcp_options_association.go",
	}
	schemas[typeInstance] = resourceSchema{
		// user_data is not ForceNew: a change stops the instance, modifies
		// the attribute and starts it again, unless
		// user_data_replace_on_change (CustomizeDiff ForceNewIf).
		replaceOnChanges: []string{"ami", "associatePublicIpAddress", "availabilityZone", "cpuCoreCount", "cpuThreadsPerCore",
			"ebsBlockDevices", "ebsOptimized", "ephemeralBlockDevices", "hibernation", "hostId", "ipv6AddressCount", "ipv6Addresses",
			"keyName", "launchTemplate", "placementGroup", "placementPartitionNumber", "privateDnsNameOptions", "privateIp",
			"securityGroups", "subnetId", "tenancy"},
		nestedReplace: map[string][]string{
			// "For the root volume, you can only modify the following:
			// volume size, volume type, and the Delete on Termination flag."
			"rootBlockDevice": {"encrypted", "kmsKeyId"},
			"cpuOptions":      {"amdSevSnp", "coreCount", "threadsPerCore"},
			"enclaveOptions":  {"enabled"},
		},
		replaceIf: map[string]func(resource.PropertyMap) bool{
			"userData":       userDataReplaceOnChange,
			"userDataBase64": userDataReplaceOnChange,
		},
		computedInputs: []string{"ami", "associatePublicIpAddress", "availabilityZone", "capacityReservationSpecification",
			"cpuCoreCount", "cpuOptions", "cpuThreadsPerCore", "disableApiStop", "disableApiTermination", "ebsBlockDevices",
			"ebsOptimized", "enclaveOptions", "ephemeralBlockDevices", "hostId", "hostResourceGroupArn", "iamInstanceProfile",
			"instanceInitiatedShutdownBehavior", "instanceType", "ipv6AddressCount", "ipv6Addresses", "keyName",
			"maintenanceOptions", "metadataOptions", "monitoring", "networkInterfaces", "placementGroup",
			"placementPartitionNumber", "privateDnsNameOptions", "privateIp", "rootBlockDevice", "secondaryPrivateIps",
			"securityGroups", "subnetId", "tenancy", "userData", "userDataBase64", "vpcSecurityGroupIds"},
		defaults: map[string]any{"getPasswordData": false, "sourceDestCheck": true, "userDataReplaceOnChange": false},
		source:   tfAWS + "ec2/ec2_instance.go",
	}
	schemas[typeInstanceProfile] = resourceSchema{
		// role is updated in place (remove the old role, add the new one).
		replaceOnChanges: []string{"name", "namePrefix", "path"},
		computedInputs:   []string{"name", "namePrefix"},
		defaults:         map[string]any{"path": "/"},
		source:           tfAWS + "iam/instance_profile.go",
	}

	handlers[typeVpc] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			c, ok := known(in, "cidrBlock")
			if !ok || c == "" {
				return nil
			}
			p, err := netip.ParsePrefix(c)
			return failIf(err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 16 || p.Bits() > 28, "cidrBlock",
				fmt.Sprintf("expected cidr_block to contain a network Value with between 16 and 28 significant bits, got: %s", c))
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			id := "vpc-" + w.hex(17)
			outs := withDefaults(typeVpc, in)
			outs = with(outs, "arn", ec2ARN(c, "vpc/"+id), "ownerId", c.account,
				"defaultNetworkAclId", "acl-"+w.hex(17), "defaultSecurityGroupId", "sg-"+w.hex(17),
				"dhcpOptionsId", "dopt-"+w.hex(17), "enableNetworkAddressUsageMetrics", false,
				"ipv6AssociationId", "", "ipv6CidrBlock", "", "ipv6CidrBlockNetworkBorderGroup", "")
			rtb := "rtb-" + w.hex(17)
			outs = with(outs, "defaultRouteTableId", rtb, "mainRouteTableId", rtb)
			if _, set := in["enableDnsHostnames"]; !set {
				outs["enableDnsHostnames"] = resource.NewBoolProperty(false)
			}
			return resource.ID(id), outs, nil, nil
		},
		remove: func(w *World, r *record) error {
			id := string(w.idOf(r))
			for _, o := range w.records {
				if o.account == r.account && o.region == r.region && o.typ != typeDhcpOptionsAssoc && str(o.outputs, "vpcId") == id {
					return fmt.Errorf("DependencyViolation: The vpc '%s' has dependencies and cannot be deleted", id)
				}
			}
			return nil
		},
	}
	handlers[typeSubnet] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			c, ok := known(in, "cidrBlock")
			if !ok || c == "" {
				return nil
			}
			p, err := netip.ParsePrefix(c)
			return failIf(err != nil || !p.Addr().Is4() || p.Masked() != p, "cidrBlock",
				fmt.Sprintf("%q is not a valid IPv4 CIDR network address", c))
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			vpc, err := w.vpcOf(c, str(in, "vpcId"))
			if err != nil {
				return "", nil, nil, err
			}
			cidr := str(in, "cidrBlock")
			p, err := netip.ParsePrefix(cidr)
			vpcRange, _ := netip.ParsePrefix(str(vpc.outputs, "cidrBlock"))
			if err != nil || !vpcRange.Contains(p.Addr()) || p.Bits() < vpcRange.Bits() || p.Bits() > 28 {
				return "", nil, nil, fmt.Errorf("InvalidSubnet.Range: The CIDR '%s' is invalid", cidr)
			}
			for _, o := range w.ofType(typeSubnet, c) {
				if q, err := netip.ParsePrefix(str(o.outputs, "cidrBlock")); err == nil && q.Overlaps(p) {
					return "", nil, nil, fmt.Errorf("InvalidSubnet.Conflict: The CIDR '%s' conflicts with another subnet", cidr)
				}
			}
			id := "subnet-" + w.hex(17)
			outs := withDefaults(typeSubnet, in)
			if str(in, "availabilityZone") == "" {
				outs["availabilityZone"] = resource.NewStringProperty(c.region + "a")
			}
			outs = with(outs, "arn", ec2ARN(c, "subnet/"+id), "ownerId", c.account, "availabilityZoneId", "euw1-az1",
				"privateDnsHostnameTypeOnLaunch", "ip-name", "ipv6CidrBlock", "", "ipv6CidrBlockAssociationId", "")
			return resource.ID(id), outs, nil, nil
		},
		remove: func(w *World, r *record) error {
			id := string(w.idOf(r))
			for _, o := range w.records {
				if o.typ == typeInstance && str(o.outputs, "subnetId") == id {
					return fmt.Errorf("DependencyViolation: The subnet '%s' has dependencies and cannot be deleted", id)
				}
			}
			return nil
		},
	}
	handlers[typeInternetGateway] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if v := str(in, "vpcId"); v != "" {
				if _, err := w.vpcOf(c, v); err != nil {
					return "", nil, nil, err
				}
			}
			id := "igw-" + w.hex(17)
			keys := []string{}
			if v := str(in, "vpcId"); v != "" {
				// A VPC has one internet gateway.
				keys = append(keys, "igw-attachment|"+v)
			}
			return resource.ID(id), with(in, "arn", ec2ARN(c, "internet-gateway/"+id), "ownerId", c.account), keys, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			if old, next := str(r.outputs, "vpcId"), str(in, "vpcId"); old != next {
				if err := w.detachRefusal(old); err != nil {
					return nil, err
				}
				if next != "" {
					if _, err := w.vpcOf(c, next); err != nil {
						return nil, err
					}
				}
			}
			outs := in.Copy()
			carryComputed(outs, r)
			return outs, nil
		},
		remove: func(w *World, r *record) error {
			return w.detachRefusal(str(r.outputs, "vpcId"))
		},
	}
	handlers[typeRouteTable] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			vpcID := str(in, "vpcId")
			if _, err := w.vpcOf(c, vpcID); err != nil {
				return "", nil, nil, err
			}
			for _, route := range arrayOf(in["routes"]) {
				rt := objectOf(route)
				if gw := str(rt, "gatewayId"); gw != "" && gw != "local" {
					igw := w.records[recordKey{typeInternetGateway, c.account, c.region, resource.ID(gw)}]
					if igw == nil {
						return "", nil, nil, fmt.Errorf("InvalidGatewayID.NotFound: The gateway ID '%s' does not exist", gw)
					}
					if str(igw.outputs, "vpcId") != vpcID {
						return "", nil, nil, fmt.Errorf("InvalidParameterValue: route table and network gateway '%s' belong to different networks", gw)
					}
				}
			}
			id := "rtb-" + w.hex(17)
			return resource.ID(id), with(in, "arn", ec2ARN(c, "route-table/"+id), "ownerId", c.account), nil, nil
		},
	}
	handlers[typeRouteTableAssociation] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			rtb := w.records[recordKey{typeRouteTable, c.account, c.region, resource.ID(str(in, "routeTableId"))}]
			if rtb == nil {
				return "", nil, nil, fmt.Errorf("InvalidRouteTableID.NotFound: The routeTable ID '%s' does not exist", str(in, "routeTableId"))
			}
			subnet, err := w.subnetOf(c, str(in, "subnetId"))
			if err != nil {
				return "", nil, nil, err
			}
			if str(subnet.outputs, "vpcId") != str(rtb.outputs, "vpcId") {
				return "", nil, nil, fmt.Errorf("InvalidParameterValue: Route table %s and subnet %s belong to different networks",
					str(in, "routeTableId"), str(in, "subnetId"))
			}
			// A subnet has one explicit route table association.
			return resource.ID("rtbassoc-" + w.hex(17)), in.Copy(), []string{"subnet-route-table|" + str(in, "subnetId")}, nil
		},
	}
	handlers[typeSecurityGroup] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			d, ok := known(in, "description")
			if ok && len(d) > 255 {
				return failIf(true, "description", "expected length of description to be in the range (0 - 255)")
			}
			for _, dir := range []string{"ingress", "egress"} {
				v, ok := in[resource.PropertyKey(dir)]
				if !ok || v.ContainsUnknowns() {
					continue
				}
				for _, rule := range arrayOf(v) {
					for _, cidr := range strs(objectOf(rule)["cidrBlocks"]) {
						if p, err := netip.ParsePrefix(cidr); err != nil || p.Masked() != p {
							return failIf(true, dir, fmt.Sprintf("%q is not a valid IPv4 CIDR network address", cidr))
						}
					}
				}
			}
			return nil
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			vpcID := str(in, "vpcId")
			if _, err := w.vpcOf(c, vpcID); err != nil {
				return "", nil, nil, err
			}
			for _, dir := range []string{"ingress", "egress"} {
				if err := duplicateRule(in, dir); err != nil {
					return "", nil, nil, err
				}
			}
			name := str(in, "name")
			if name == "" {
				name = str(in, "namePrefix") + "terraform-" + w.hex(26)
			}
			id := "sg-" + w.hex(17)
			outs := withDefaults(typeSecurityGroup, in)
			outs = with(outs, "name", name, "arn", ec2ARN(c, "security-group/"+id), "ownerId", c.account)
			for _, dir := range []string{"ingress", "egress"} {
				if _, ok := outs[resource.PropertyKey(dir)]; !ok {
					outs[resource.PropertyKey(dir)] = resource.NewArrayProperty(nil)
				}
			}
			return resource.ID(id), outs, []string{"security-group|" + vpcID + "|" + name}, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			for _, dir := range []string{"ingress", "egress"} {
				if err := duplicateRule(in, dir); err != nil {
					return nil, err
				}
			}
			outs := withDefaults(typeSecurityGroup, in)
			carryComputed(outs, r)
			return outs, nil
		},
		remove: func(w *World, r *record) error {
			id := string(w.idOf(r))
			for _, o := range w.records {
				if o.typ == typeInstance && contains(strs(o.outputs["vpcSecurityGroupIds"]), id) {
					return fmt.Errorf("DependencyViolation: resource %s has a dependent object", id)
				}
			}
			return nil
		},
	}
	handlers[typeDhcpOptions] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			servers := strs(in["domainNameServers"])
			if len(servers) > 4 {
				return "", nil, nil, fmt.Errorf("InvalidParameterValue: Value (%s) for parameter domain-name-servers is invalid: at most four servers", strings.Join(servers, ","))
			}
			for _, s := range servers {
				if a, err := netip.ParseAddr(s); s != "AmazonProvidedDNS" && (err != nil || !a.Is4()) {
					return "", nil, nil, fmt.Errorf("InvalidParameterValue: Value (%s) for parameter domain-name-servers is invalid", s)
				}
			}
			id := "dopt-" + w.hex(17)
			return resource.ID(id), with(in, "arn", ec2ARN(c, "dhcp-options/"+id), "ownerId", c.account), nil, nil
		},
	}
	handlers[typeDhcpOptionsAssoc] = handler{
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			vpcID, dopt := str(in, "vpcId"), str(in, "dhcpOptionsId")
			if _, err := w.vpcOf(c, vpcID); err != nil {
				return "", nil, nil, err
			}
			if dopt != "default" && w.records[recordKey{typeDhcpOptions, c.account, c.region, resource.ID(dopt)}] == nil {
				return "", nil, nil, fmt.Errorf("InvalidDhcpOptionID.NotFound: The dhcpOption ID '%s' does not exist", dopt)
			}
			// AssociateDhcpOptions replaces the VPC's options set: no conflict.
			return resource.ID(dopt + "-" + vpcID), in.Copy(), nil, nil
		},
	}
	handlers[typeInstanceProfile] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			name, ok := known(in, "name")
			return failIf(ok && len(name) > 128, "name", "expected length of name to be in the range (1 - 128)")
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			if role := str(in, "role"); role != "" && w.roleByName(c.account, role) == nil {
				return "", nil, nil, fmt.Errorf("NoSuchEntity: The role with name %s cannot be found", role)
			}
			name := str(in, "name")
			if name == "" {
				name = str(in, "namePrefix") + "terraform-" + w.hex(26)
			}
			outs := withDefaults(typeInstanceProfile, in)
			outs = with(outs, "name", name, "arn", "arn:aws:iam::"+c.account+":instance-profile"+str(outs, "path")+name,
				"uniqueId", "AIPA"+strings.ToUpper(w.hex(17)), "createDate", "2026-01-01T00:00:00Z")
			return resource.ID(name), outs, []string{"instance-profile|" + c.account + "|" + strings.ToLower(name)}, nil
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			if role := str(in, "role"); role != "" && w.roleByName(c.account, role) == nil {
				return nil, fmt.Errorf("NoSuchEntity: The role with name %s cannot be found", role)
			}
			outs := withDefaults(typeInstanceProfile, in)
			carryComputed(outs, r)
			return outs, nil
		},
	}
	handlers[typeInstance] = handler{
		check: func(w *World, in resource.PropertyMap) []plugin.CheckFailure {
			ud, ok := known(in, "userData")
			return failIf(ok && len(ud) > maxUserDataLength, "userData",
				fmt.Sprintf("expected length of user_data to be in the range (0 - %d), got %d", maxUserDataLength, len(ud)))
		},
		create: func(w *World, c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
			return w.runInstance(c, in)
		},
		update: func(w *World, c providerConfig, r *record, in resource.PropertyMap) (resource.PropertyMap, error) {
			// ModifyVolume only grows a volume.
			oldSize, newSize := plain(objectOf(r.outputs["rootBlockDevice"])["volumeSize"]), plain(objectOf(in["rootBlockDevice"])["volumeSize"])
			if oldSize.IsNumber() && newSize.IsNumber() && newSize.NumberValue() < oldSize.NumberValue() {
				return nil, fmt.Errorf("InvalidParameterValue: New size cannot be smaller than existing size")
			}
			if p := str(in, "iamInstanceProfile"); p != "" && p != str(r.outputs, "iamInstanceProfile") {
				if err := w.usableProfile(c, p); err != nil {
					return nil, err
				}
			}
			outs := withDefaults(typeInstance, in)
			carryComputed(outs, r)
			return outs, nil
		},
	}
}

func userDataReplaceOnChange(news resource.PropertyMap) bool {
	v := plain(news["userDataReplaceOnChange"])
	return v.IsBool() && v.BoolValue()
}

// withDefaults copies the inputs with the schema's defaults for what the
// program leaves out, as the provider stores them.
func withDefaults(typ string, in resource.PropertyMap) resource.PropertyMap {
	out := in.Copy()
	for k, v := range schemas[typ].defaults {
		if cur, ok := out[resource.PropertyKey(k)]; !ok || cur.IsNull() {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	return out
}

func ec2ARN(c providerConfig, res string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s", c.region, c.account, res)
}

// ofType returns the resources of typ in the provider's account and region.
func (w *World) ofType(typ string, c providerConfig) []*record {
	var out []*record
	for k, r := range w.records {
		if k.typ == typ && k.account == c.account && k.region == c.region {
			out = append(out, r)
		}
	}
	return out
}

// detachRefusal is DetachInternetGateway's refusal while instances of the
// VPC still have public addresses.
func (w *World) detachRefusal(vpcID string) error {
	if vpcID == "" {
		return nil
	}
	for _, i := range w.records {
		if i.typ != typeInstance || str(i.outputs, "publicIp") == "" {
			continue
		}
		if s := w.records[recordKey{typeSubnet, i.account, i.region, resource.ID(str(i.outputs, "subnetId"))}]; s != nil && str(s.outputs, "vpcId") == vpcID {
			return fmt.Errorf("DependencyViolation: Network %s has some mapped public address(es). Please unmap those public address(es) before detaching the gateway", vpcID)
		}
	}
	return nil
}

// idOf returns the provider's id of a resource that exists.
func (w *World) idOf(r *record) resource.ID {
	for k, o := range w.records {
		if o == r {
			return k.id
		}
	}
	return ""
}

func (w *World) vpcOf(c providerConfig, id string) (*record, error) {
	r := w.records[recordKey{typeVpc, c.account, c.region, resource.ID(id)}]
	if r == nil {
		return nil, fmt.Errorf("InvalidVpcID.NotFound: The vpc ID '%s' does not exist", id)
	}
	return r, nil
}

func (w *World) subnetOf(c providerConfig, id string) (*record, error) {
	r := w.records[recordKey{typeSubnet, c.account, c.region, resource.ID(id)}]
	if r == nil {
		return nil, fmt.Errorf("InvalidSubnetID.NotFound: The subnet ID '%s' does not exist", id)
	}
	return r, nil
}

// usableProfile is what RunInstances checks of an instance profile: it
// exists and holds a role.
func (w *World) usableProfile(c providerConfig, name string) error {
	// IAM is global: an instance profile of the account, from any region's
	// provider.
	for _, p := range w.records {
		if p.typ == typeInstanceProfile && p.account == c.account && str(p.outputs, "name") == name {
			if str(p.outputs, "role") == "" {
				return fmt.Errorf("InvalidParameterValue: IAM Instance Profile %q has no associated IAM Roles", str(p.outputs, "arn"))
			}
			return nil
		}
	}
	return fmt.Errorf("InvalidParameterValue: Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name)
}

// resolveImage is the AMI an instance launches from: an image id, or
// "resolve:ssm:NAME", which EC2 resolves from the SSM parameter at launch.
func (w *World) resolveImage(ami string) (string, error) {
	name, ok := strings.CutPrefix(ami, "resolve:ssm:")
	if !ok {
		if !strings.HasPrefix(ami, "ami-") {
			return "", fmt.Errorf("InvalidAMIID.Malformed: Invalid id: %q", ami)
		}
		return ami, nil
	}
	id, found := w.publicParameters[name]
	if !found {
		return "", fmt.Errorf("InvalidParameterValue: Unable to resolve the SSM parameter %s: ParameterNotFound", name)
	}
	return id, nil
}

// SetPublicParameter changes what a public SSM parameter holds (AWS
// publishing a newer AMI, say).
func (w *World) SetPublicParameter(name, value string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.publicParameters[name] = value
}

// runInstance is RunInstances: the image resolved, the subnet, security
// groups and instance profile checked, the address fixed or allocated.
func (w *World) runInstance(c providerConfig, in resource.PropertyMap) (resource.ID, resource.PropertyMap, []string, error) {
	image, err := w.resolveImage(str(in, "ami"))
	if err != nil {
		return "", nil, nil, err
	}
	subnetID := str(in, "subnetId")
	subnet, err := w.subnetOf(c, subnetID)
	if err != nil {
		return "", nil, nil, err
	}
	vpcID := str(subnet.outputs, "vpcId")
	for _, sg := range strs(in["vpcSecurityGroupIds"]) {
		g := w.records[recordKey{typeSecurityGroup, c.account, c.region, resource.ID(sg)}]
		if g == nil {
			return "", nil, nil, fmt.Errorf("InvalidGroup.NotFound: The security group '%s' does not exist in VPC '%s'", sg, vpcID)
		}
		if str(g.outputs, "vpcId") != vpcID {
			return "", nil, nil, fmt.Errorf("InvalidParameter: Security group %s and subnet %s belong to different networks", sg, subnetID)
		}
	}
	if p := str(in, "iamInstanceProfile"); p != "" {
		if err := w.usableProfile(c, p); err != nil {
			return "", nil, nil, err
		}
	}
	cidr, _ := netip.ParsePrefix(str(subnet.outputs, "cidrBlock"))
	used := map[netip.Addr]bool{}
	// An address is in use in its subnet only.
	for _, o := range w.ofType(typeInstance, c) {
		if str(o.outputs, "subnetId") != subnetID {
			continue
		}
		if a, err := netip.ParseAddr(str(o.outputs, "privateIp")); err == nil {
			used[a] = true
		}
	}
	// AWS reserves the first four addresses and the last of every subnet.
	first := cidr.Addr().Next().Next().Next().Next()
	last := lastAddr(cidr)
	var ip netip.Addr
	if fixed := str(in, "privateIp"); fixed != "" {
		a, err := netip.ParseAddr(fixed)
		if err != nil || !cidr.Contains(a) || a.Less(first) || a == last {
			return "", nil, nil, fmt.Errorf("InvalidParameterValue: Address %s does not fall within the subnet's address range", fixed)
		}
		if used[a] {
			return "", nil, nil, fmt.Errorf("InvalidIPAddress.InUse: Address %s is in use", fixed)
		}
		ip = a
	} else {
		for a := first; cidr.Contains(a) && a != last; a = a.Next() {
			if !used[a] {
				ip = a
				break
			}
		}
		if !ip.IsValid() {
			return "", nil, nil, fmt.Errorf("InsufficientFreeAddressesInSubnet: There are not enough free addresses in subnet '%s' to satisfy the requested number of instances", subnetID)
		}
	}
	id := "i-" + w.hex(17)
	outs := withDefaults(typeInstance, in)
	dns := "ip-" + strings.ReplaceAll(ip.String(), ".", "-") + "." + c.region + ".compute.internal"
	outs = with(outs, "ami", image, "arn", ec2ARN(c, "instance/"+id), "privateIp", ip.String(), "privateDns", dns,
		"availabilityZone", str(subnet.outputs, "availabilityZone"), "instanceState", "running", "tenancy", "default",
		"primaryNetworkInterfaceId", "eni-"+w.hex(17), "outpostArn", "", "passwordData", "")
	if v := plain(subnet.outputs["mapPublicIpOnLaunch"]); v.IsBool() && v.BoolValue() {
		outs = with(outs, "associatePublicIpAddress", true, "publicIp", fmt.Sprintf("203.0.113.%d", w.seq%250+1))
	} else {
		outs = with(outs, "associatePublicIpAddress", false, "publicIp", "")
	}
	return resource.ID(id), outs, nil, nil
}

// arrayOf returns the elements of a list property (none when it is not a
// list).
func arrayOf(v resource.PropertyValue) []resource.PropertyValue {
	if v = plain(v); v.IsArray() {
		return v.ArrayValue()
	}
	return nil
}

// objectOf returns an object property's map (empty when it is not one).
func objectOf(v resource.PropertyValue) resource.PropertyMap {
	if v = plain(v); v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	host := 32 - p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1 << host) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// duplicateRule is EC2's refusal of a rule that names one range twice for
// the same protocol and ports.
func duplicateRule(in resource.PropertyMap, dir string) error {
	seen := map[string]bool{}
	for _, rule := range arrayOf(in[resource.PropertyKey(dir)]) {
		r := objectOf(rule)
		from, to := plain(r["fromPort"]), plain(r["toPort"])
		var f, t float64
		if from.IsNumber() {
			f = from.NumberValue()
		}
		if to.IsNumber() {
			t = to.NumberValue()
		}
		for _, cidr := range strs(r["cidrBlocks"]) {
			key := fmt.Sprintf("%s|%v|%v|%s", strings.ToLower(str(r, "protocol")), f, t, cidr)
			if seen[key] {
				return fmt.Errorf("InvalidPermission.Duplicate: the specified rule \"peer: %s, %s, from port: %v, to port: %v, ALLOW\" already exists",
					cidr, strings.ToUpper(str(r, "protocol")), f, t)
			}
			seen[key] = true
		}
	}
	return nil
}

// InstanceRecord is what EC2 holds of an instance of the stack.
type InstanceRecord struct {
	ID       resource.ID
	Name     string
	AMI      string
	UserData string
}

// Instances returns the instances that exist, by URN name.
func (w *World) Instances() map[string]InstanceRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]InstanceRecord{}
	var keys []recordKey
	for k := range w.records {
		if k.typ == typeInstance {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].id < keys[j].id })
	for _, k := range keys {
		r := w.records[k]
		out[r.urn.Name()] = InstanceRecord{ID: k.id, Name: r.urn.Name(), AMI: str(r.outputs, "ami"), UserData: str(r.inputs, "userData")}
	}
	return out
}

// SeedNetwork creates a VPC of vpcCIDR with one subnet of subnetCIDR
// outside any stack (the network team's, in the management account and
// region) and returns their ids.
func (w *World) SeedNetwork(region, vpcCIDR, subnetCIDR string) (vpcID, subnetID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := providerConfig{pkg: "aws", region: region, account: w.ManagementAccount}
	vpcID, subnetID = "vpc-"+w.hex(17), "subnet-"+w.hex(17)
	vpc := resource.NewPropertyMapFromMap(map[string]any{"cidrBlock": vpcCIDR, "enableDnsHostnames": true})
	w.seed(typeVpc, region, resource.ID(vpcID), vpc, with(withDefaults(typeVpc, vpc), "arn", ec2ARN(c, "vpc/"+vpcID), "ownerId", c.account))
	subnet := resource.NewPropertyMapFromMap(map[string]any{"vpcId": vpcID, "cidrBlock": subnetCIDR})
	w.seed(typeSubnet, region, resource.ID(subnetID), subnet, with(withDefaults(typeSubnet, subnet), "arn", ec2ARN(c, "subnet/"+subnetID),
		"ownerId", c.account, "availabilityZone", region+"a"))
	return vpcID, subnetID
}
