package iam

// PasswordMFATx is the part of Tx that stores login profiles, the account
// password policy, password history and MFA devices.
type PasswordMFATx interface{}
