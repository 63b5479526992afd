package servicecatalog

import "strings"

// globalKeys are AWS's global condition context keys, from the IAM User
// Guide's "AWS global condition context keys" page, plus the
// cross-service keys that page lists (ec2:SourceInstanceArn and the
// like), which any policy may use. Keys with ${TagKey} take any tag key.
// The npm data does not carry this list; it is maintained here by hand.
var globalKeyNames = []string{
	// Properties of the principal.
	"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgPaths", "aws:PrincipalOrgID",
	"aws:PrincipalTag/${TagKey}", "aws:PrincipalIsAWSService", "aws:PrincipalServiceName",
	"aws:PrincipalServiceNamesList", "aws:PrincipalType", "aws:userid", "aws:username",
	// Properties of the role session.
	"aws:AssumedRoot", "aws:FederatedProvider", "aws:TokenIssueTime", "aws:MultiFactorAuthAge",
	"aws:MultiFactorAuthPresent", "aws:ChatbotSourceArn", "aws:Ec2InstanceSourceVpc",
	"aws:Ec2InstanceSourcePrivateIPv4", "aws:SourceIdentity",
	"ec2:RoleDelivery", "ec2:SourceInstanceArn", "glue:RoleAssumedBy", "glue:CredentialIssuingService",
	"lambda:SourceFunctionArn", "ssm:SourceInstanceArn", "identitystore:UserId",
	// Properties of the network.
	"aws:SourceIp", "aws:SourceVpc", "aws:SourceVpcArn", "aws:SourceVpce", "aws:VpceAccount",
	"aws:VpceOrgID", "aws:VpceOrgPaths", "aws:VpcSourceIp",
	// Properties of the resource.
	"aws:ResourceAccount", "aws:ResourceOrgPaths", "aws:ResourceOrgID", "aws:ResourceTag/${TagKey}",
	// Properties of the request.
	"aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:ViaAWSService",
	"aws:CurrentTime", "aws:EpochTime", "aws:referer", "aws:RequestedRegion",
	"aws:RequestTag/${TagKey}", "aws:TagKeys", "aws:SecureTransport", "aws:SourceAccount",
	"aws:SourceArn", "aws:SourceOrgPaths", "aws:SourceOrgID", "aws:UserAgent",
}

var globalKeys = func() []keyPattern {
	ps := make([]keyPattern, len(globalKeyNames))
	for i, k := range globalKeyNames {
		ps[i] = compileKey(k)
	}
	return ps
}()

// GlobalConditionKeys returns the global condition keys (a copy).
func GlobalConditionKeys() []string { return append([]string(nil), globalKeyNames...) }

// IsGlobalConditionKey reports whether key (any case) is a global
// condition key, which every action accepts.
func IsGlobalConditionKey(key string) bool {
	if !strings.Contains(key, ":") {
		return false
	}
	for _, p := range globalKeys {
		if p.match(key) {
			return true
		}
	}
	return false
}
