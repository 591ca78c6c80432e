export { openDatabase, migrate, type Db } from './database.ts';
export { MIGRATIONS, type Migration } from './migrations.ts';
export { MetaRepo } from './meta.ts';
export {
  ServiceRepo,
  type ServiceRecord,
  type RevisionRecord,
  type RevisionState,
  type DataPlaneState,
} from './services-repo.ts';
export { OperationRepo, type OperationRecord, type OperationKind } from './operations-repo.ts';
