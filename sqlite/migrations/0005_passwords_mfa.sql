-- 0005: login profiles, password policy, password history, MFA devices.
SELECT 1;
