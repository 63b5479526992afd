package iam

// RolePolicyTx is the part of Tx that stores roles, managed policies and
// their versions, inline policies, policy attachments and instance profiles.
type RolePolicyTx interface{}
