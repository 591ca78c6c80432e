import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database.ts';
import { MIGRATIONS } from './migrations.ts';
import { MetaRepo } from './meta.ts';

describe('store', () => {
  it('migrates an empty database and is idempotent', () => {
    const db = openDatabase(':memory:');
    const ids = (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: number }[]).map(
      (r) => r.id,
    );
    expect(ids).toEqual([...MIGRATIONS].map((m) => m.id).sort((a, b) => a - b));
    expect(migrate(db, MIGRATIONS)).toEqual([]);
    db.close();
  });

  it('keeps meta values', () => {
    const db = openDatabase(':memory:');
    const meta = new MetaRepo(db);
    expect(meta.getOrCreate('x', () => 'a')).toBe('a');
    expect(meta.getOrCreate('x', () => 'b')).toBe('a');
    db.close();
  });
});
