-- 0004: federation providers, SSH keys, certificates, service-specific credentials, aliases.
SELECT 1;
