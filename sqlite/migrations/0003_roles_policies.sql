-- 0003: roles, managed and inline policies, attachments, instance profiles.
SELECT 1;
