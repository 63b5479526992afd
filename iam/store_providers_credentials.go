package iam

// ProviderCredentialTx is the part of Tx that stores OpenID Connect and SAML
// providers, SSH public keys, signing and server certificates,
// service-specific credentials and account aliases.
type ProviderCredentialTx interface{}
