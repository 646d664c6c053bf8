import { Role } from '../generated/prisma/enums.js';

export { Role };

/** What an operation needs; each role grants a set of these. */
export enum Permission {
  Read = 'READ',
  Operate = 'OPERATE',
  Audit = 'AUDIT',
  Admin = 'ADMIN',
}

const grants: Record<Role, readonly Permission[]> = {
  [Role.VIEWER]: [Permission.Read],
  [Role.OPERATOR]: [Permission.Read, Permission.Operate],
  [Role.AUDITOR]: [Permission.Read, Permission.Audit],
  [Role.ADMIN]: [Permission.Read, Permission.Operate, Permission.Audit, Permission.Admin],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}
