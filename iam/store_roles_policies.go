package iam

// RolePolicyTx is the part of Tx that stores roles, managed policies and
// their versions, inline policies, policy attachments and instance
// profiles. Like the rest of
// Tx it persists what it is given: quotas, conflicts and document
// validation are the Service's.
type RolePolicyTx interface {
	// CreateRole inserts r; ErrExists when the account has a role of that
	// name (any case) or the ID is taken.
	CreateRole(r *Role) error
	// Role returns the named role; ErrNotFound.
	Role(accountID, name string) (*Role, error)
	// RoleByID returns the role with the unique ID; ErrNotFound.
	RoleByID(id string) (*Role, error)
	// Roles lists an account's roles.
	Roles(accountID string, q ListQuery) ([]*Role, error)
	// CountRoles counts an account's roles.
	CountRoles(accountID string) (int, error)
	// UpdateRole replaces every mutable field of the stored role with the
	// same ID; ErrNotFound.
	UpdateRole(r *Role) error
	// DeleteRole removes the role; ErrNotFound.
	DeleteRole(id string) error

	// CreatePolicy inserts a customer managed policy without versions;
	// ErrExists when the account has a policy of that name (any case) or
	// the ID is taken.
	CreatePolicy(p *ManagedPolicy) error
	// Policy returns the named customer managed policy; ErrNotFound.
	Policy(accountID, name string) (*ManagedPolicy, error)
	// PolicyByID returns the policy with the unique ID; ErrNotFound.
	PolicyByID(id string) (*ManagedPolicy, error)
	// Policies lists an account's customer managed policies.
	Policies(accountID string, q ListQuery) ([]*ManagedPolicy, error)
	// CountPolicies counts an account's customer managed policies.
	CountPolicies(accountID string) (int, error)
	// UpdatePolicy replaces the mutable fields (default version, update
	// date, next version number, tags) of the policy with the same ID;
	// ErrNotFound.
	UpdatePolicy(p *ManagedPolicy) error
	// DeletePolicy removes a policy that has no versions left; ErrNotFound.
	DeletePolicy(id string) error

	// CreatePolicyVersion inserts v; ErrExists when the policy has that
	// version ID, ErrNotFound when the policy is gone.
	CreatePolicyVersion(v *PolicyVersion) error
	// PolicyVersion returns one version; ErrNotFound.
	PolicyVersion(policyID, versionID string) (*PolicyVersion, error)
	// PolicyVersions lists a policy's versions ordered by creation date,
	// then version number.
	PolicyVersions(policyID string) ([]*PolicyVersion, error)
	// DeletePolicyVersion removes one version; ErrNotFound.
	DeletePolicyVersion(policyID, versionID string) error

	// PutInlinePolicy inserts or replaces (by owner and name, any case)
	// an inline policy; ErrNotFound when the owner is gone.
	PutInlinePolicy(p *InlinePolicy) error
	// InlinePolicy returns an owner's named inline policy; ErrNotFound.
	InlinePolicy(kind OwnerKind, ownerID, name string) (*InlinePolicy, error)
	// InlinePolicies lists an owner's inline policies ordered by
	// lower-cased name.
	InlinePolicies(kind OwnerKind, ownerID string) ([]*InlinePolicy, error)
	// DeleteInlinePolicy removes an owner's named inline policy;
	// ErrNotFound.
	DeleteInlinePolicy(kind OwnerKind, ownerID, name string) error
	// AllInlinePolicies lists every inline policy of the deployment, for
	// building the in-memory state.
	AllInlinePolicies() ([]*InlinePolicy, error)

	// AttachPolicy attaches a managed policy (customer or AWS, by ARN) to
	// an owner; attaching it again is not an error. ErrNotFound when the
	// owner is gone.
	AttachPolicy(a Attachment) error
	// DetachPolicy removes an attachment; ErrNotFound when there is none.
	DetachPolicy(a Attachment) error
	// AttachedPolicies lists the ARNs of the policies attached to an
	// owner, ordered by ARN.
	AttachedPolicies(kind OwnerKind, ownerID string) ([]string, error)
	// PolicyAttachments lists the attachments of a policy ARN.
	PolicyAttachments(policyARN string) ([]Attachment, error)
	// AllAttachments lists every attachment of the deployment.
	AllAttachments() ([]Attachment, error)
	// CountBoundaryUses counts the users and roles that have policyARN as
	// their permissions boundary.
	CountBoundaryUses(policyARN string) (int, error)

	// CreateInstanceProfile inserts p (its RoleIDs are ignored); ErrExists
	// when the account has a profile of that name (any case) or the ID is
	// taken.
	CreateInstanceProfile(p *InstanceProfile) error
	// InstanceProfile returns the named profile with its roles;
	// ErrNotFound.
	InstanceProfile(accountID, name string) (*InstanceProfile, error)
	// InstanceProfileByID returns a profile with its roles; ErrNotFound.
	InstanceProfileByID(id string) (*InstanceProfile, error)
	// InstanceProfiles lists an account's profiles with their roles.
	InstanceProfiles(accountID string, q ListQuery) ([]*InstanceProfile, error)
	// CountInstanceProfiles counts an account's profiles.
	CountInstanceProfiles(accountID string) (int, error)
	// UpdateInstanceProfile replaces the tags of the profile with the same
	// ID; ErrNotFound.
	UpdateInstanceProfile(p *InstanceProfile) error
	// DeleteInstanceProfile removes a profile; ErrNotFound.
	DeleteInstanceProfile(id string) error
	// AddInstanceProfileRole adds a role to a profile; adding it again is
	// not an error. ErrNotFound when the profile or the role is gone.
	AddInstanceProfileRole(profileID, roleID string) error
	// RemoveInstanceProfileRole removes a role from a profile; ErrNotFound
	// when it is not there.
	RemoveInstanceProfileRole(profileID, roleID string) error
	// InstanceProfilesForRole lists the profiles holding a role.
	InstanceProfilesForRole(roleID string) ([]*InstanceProfile, error)
}
