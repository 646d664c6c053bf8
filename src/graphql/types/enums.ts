import { registerEnumType } from 'type-graphql';
import { AuditStatus, Role, RunKind, RunStatus } from '../../generated/prisma/enums.js';

export { AuditStatus, Role, RunKind, RunStatus };

registerEnumType(RunKind, { name: 'RunKind', description: 'Generation method of a run' });
registerEnumType(RunStatus, { name: 'RunStatus' });
registerEnumType(Role, { name: 'Role', description: 'What an API key may do' });
registerEnumType(AuditStatus, { name: 'AuditStatus' });
