package awsquery

import (
	"sync"

	"github.com/iamd/iamd/awsmodel"
)

// IAM checks the character set of user names and paths itself, after the
// shared validator, and words the failure in its own way, with no
// "N validation errors detected" preamble. Real responses:
//
//	ValidationError: The specified value for userName is invalid. It must
//	contain only alphanumeric characters and/or the following: +=,.@_-
//	(GetUser, github.com/wallix/awless/issues/277; AttachUserPolicy,
//	github.com/app-sre/qontract-reconcile/pull/2640)
//
//	The specified value for path is invalid. It must begin and end with /
//	and contain only alphanumeric characters and/or / characters.
//	(CreateRole, github.com/serverless/serverless/pull/3802,
//	github.com/aws-cloudformation/cfn-lint/issues/722)
//
// while length violations of the same members, and pattern violations of
// other members such as tags, come from the shared validator
// ("Value '...' at 'roleName' failed to satisfy constraint: Member must have
// length less than or equal to 64"). So a pattern failure on these shapes is
// held back and reported only if nothing else failed. Other name shapes
// (roleNameType, groupNameType, ...) likely behave the same but no sample was
// found, so they keep the generic wording.
var iamPatternQuirks = sync.OnceValue(func() map[*awsmodel.Shape]string {
	iam := awsmodel.IAM()
	names := "It must contain only alphanumeric characters and/or the following: +=,.@_-"
	return map[*awsmodel.Shape]string{
		iam.Shapes["userNameType"]:         names,
		iam.Shapes["existingUserNameType"]: names,
		iam.Shapes["pathType"]:             "It must begin and end with / and contain only alphanumeric characters and/or / characters.",
	}
})

// patternQuirk records an IAM-specific pattern failure for sh, reporting
// whether sh has one. Only the first, in member order, is kept.
func (d *decoder) patternQuirk(sh *awsmodel.Shape) bool {
	msg, ok := iamPatternQuirks()[sh]
	if !ok {
		return false
	}
	if d.quirk == "" {
		d.quirk = "The specified value for " + string(d.appendPath(nil)) + " is invalid. " + msg
	}
	return true
}
