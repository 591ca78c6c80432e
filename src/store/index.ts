export { openDatabase, migrate, type Db } from './database.ts';
export { MIGRATIONS, type Migration } from './migrations.ts';
export { MetaRepo } from './meta.ts';
