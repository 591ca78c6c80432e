import { randomBytes } from 'node:crypto';
import type { Db } from '../store/index.ts';
import { TarmacError, alreadyExists, invalidArgument, type Clock } from '../shared/index.ts';
import type { Project } from './projects.ts';
import { RESOURCE_ID, findAll, findOne } from './rows.ts';

export interface ServiceAccount {
  name: string;
  projectId: string;
  uniqueId: string;
  email: string;
  displayName: string;
  description: string;
  etag: string;
  oauth2ClientId: string;
  disabled: boolean;
  createTime: string;
}

interface Row {
  unique_id: string;
  project_id: string;
  email: string;
  display_name: string;
  description: string;
  disabled: number;
  etag: string;
  create_time: string;
}

/** A 21-digit numeric id as Google gives service accounts and users. */
export function newUniqueId(): string {
  const digits = [...randomBytes(20)].map((b) => String(b % 10)).join('');
  return `1${digits}`;
}

const newEtag = (): string => randomBytes(8).toString('base64');

const toAccount = (r: Row): ServiceAccount => ({
  name: `projects/${r.project_id}/serviceAccounts/${r.email}`,
  projectId: r.project_id,
  uniqueId: r.unique_id,
  email: r.email,
  displayName: r.display_name,
  description: r.description,
  etag: r.etag,
  oauth2ClientId: r.unique_id,
  disabled: r.disabled === 1,
  createTime: r.create_time,
});

export const defaultComputeEmail = (project: Project): string =>
  `${project.projectNumber}-compute@developer.gserviceaccount.com`;

export function accountNotFound(ref: string): TarmacError {
  return new TarmacError('NOT_FOUND', `Service account ${ref} does not exist.`, {
    reason: 'SERVICE_ACCOUNT_NOT_FOUND',
  });
}

/** Service accounts: NAME@PROJECT.iam.gserviceaccount.com plus each project's default compute account. */
export class ServiceAccountRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** By email or unique id. */
  find(emailOrId: string): ServiceAccount | undefined {
    const sql = 'SELECT * FROM iam_service_accounts WHERE email = ? OR unique_id = ?';
    return findOne(this.db, sql, toAccount, emailOrId.toLowerCase(), emailOrId);
  }

  get(emailOrId: string): ServiceAccount {
    const sa = this.find(emailOrId);
    if (!sa) throw accountNotFound(emailOrId);
    return sa;
  }

  list(projectId: string): ServiceAccount[] {
    const sql = 'SELECT * FROM iam_service_accounts WHERE project_id = ? ORDER BY email';
    return findAll(this.db, sql, toAccount, projectId);
  }

  /** Creates NAME@PROJECT.iam.gserviceaccount.com. */
  create(
    project: Project,
    accountId: string,
    fields: { displayName?: string; description?: string } = {},
  ): ServiceAccount {
    if (!RESOURCE_ID.test(accountId)) {
      throw invalidArgument(`invalid account ID ${JSON.stringify(accountId)}`, [
        {
          field: 'accountId',
          description: '6-30 characters: lowercase letters, digits or hyphens, starting with a letter',
        },
      ]);
    }
    return this.insert(project, `${accountId}@${project.projectId}.iam.gserviceaccount.com`, fields);
  }

  /** The project's default compute account, created on first use. */
  ensureDefaultCompute(project: Project): ServiceAccount {
    const email = defaultComputeEmail(project);
    return (
      this.find(email) ?? this.insert(project, email, { displayName: 'Default compute service account' })
    );
  }

  private insert(
    project: Project,
    email: string,
    fields: { displayName?: string; description?: string },
  ): ServiceAccount {
    if (this.find(email))
      throw alreadyExists(
        `Service account ${email} already exists within project projects/${project.projectId}.`,
      );
    if ((fields.displayName ?? '').length > 100) {
      throw invalidArgument('displayName is longer than 100 characters', [
        { field: 'serviceAccount.displayName', description: 'at most 100 characters' },
      ]);
    }
    let id = newUniqueId();
    while (this.find(id)) id = newUniqueId();
    this.db
      .prepare(
        `INSERT INTO iam_service_accounts (unique_id, project_id, email, display_name, description, disabled, etag, create_time)
         VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
      )
      .run(
        id,
        project.projectId,
        email,
        fields.displayName ?? '',
        fields.description ?? '',
        newEtag(),
        new Date(this.clock.now()).toISOString(),
      );
    return this.get(email);
  }

  /** Updates display name and/or description. */
  update(email: string, fields: { displayName?: string; description?: string }): ServiceAccount {
    const sa = this.get(email);
    this.db
      .prepare(
        'UPDATE iam_service_accounts SET display_name = ?, description = ?, etag = ? WHERE unique_id = ?',
      )
      .run(
        fields.displayName ?? sa.displayName,
        fields.description ?? sa.description,
        newEtag(),
        sa.uniqueId,
      );
    return this.get(sa.uniqueId);
  }

  setDisabled(email: string, disabled: boolean): ServiceAccount {
    const sa = this.get(email);
    this.db
      .prepare('UPDATE iam_service_accounts SET disabled = ?, etag = ? WHERE unique_id = ?')
      .run(disabled ? 1 : 0, newEtag(), sa.uniqueId);
    return this.get(sa.uniqueId);
  }

  delete(email: string): ServiceAccount {
    const sa = this.get(email);
    this.db.prepare('DELETE FROM iam_service_accounts WHERE unique_id = ?').run(sa.uniqueId);
    return sa;
  }
}

export interface User {
  email: string;
  uniqueId: string;
}

const toUser = (r: { email: string; unique_id: string }): User => ({ email: r.email, uniqueId: r.unique_id });

/** Human users. They exist once named (the owner at first start; anyone a test or admin mints for). */
export class UserRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  find(email: string): User | undefined {
    return findOne(this.db, 'SELECT * FROM iam_users WHERE email = ?', toUser, email.toLowerCase());
  }

  findById(uniqueId: string): User | undefined {
    return findOne(this.db, 'SELECT * FROM iam_users WHERE unique_id = ?', toUser, uniqueId);
  }

  ensure(email: string): User {
    const found = this.find(email);
    if (found) return found;
    if (!/^[^@\s]+@[^@\s]+$/.test(email))
      throw invalidArgument(`invalid user email ${JSON.stringify(email)}`);
    const user = { email: email.toLowerCase(), uniqueId: newUniqueId() };
    this.db
      .prepare('INSERT INTO iam_users (email, unique_id, create_time) VALUES (?, ?, ?)')
      .run(user.email, user.uniqueId, new Date(this.clock.now()).toISOString());
    return user;
  }
}
