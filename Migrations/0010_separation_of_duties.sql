-- 0010: separation of duties, below the application (issue 18): an administrator holds no other role, and
-- nobody grants roles to themselves. (An archive that already has an administrator with another role keeps the
-- rows it has; every change from now on is checked.)
DROP TRIGGER user_roles_separation_of_duties;
CREATE TRIGGER user_roles_separation_of_duties
BEFORE INSERT ON user_roles
WHEN (NEW.role = 'admin' AND EXISTS (SELECT 1 FROM user_roles WHERE user_id = NEW.user_id AND role <> 'admin'))
  OR (NEW.role <> 'admin' AND EXISTS (SELECT 1 FROM user_roles WHERE user_id = NEW.user_id AND role = 'admin'))
BEGIN
    SELECT RAISE(ABORT, 'role conflict: an administrator holds no other role');
END;
CREATE TRIGGER user_roles_not_self_granted
BEFORE INSERT ON user_roles
WHEN NEW.granted_by IS NOT NULL AND NEW.granted_by = NEW.user_id
BEGIN
    SELECT RAISE(ABORT, 'nobody changes their own roles');
END;
