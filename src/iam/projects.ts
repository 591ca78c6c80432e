import type { Db } from '../store/index.ts';
import { RESOURCE_ID, findAll, findOne } from './rows.ts';
import {
  TarmacError,
  alreadyExists,
  invalidArgument,
  randomProjectNumber,
  type Clock,
} from '../shared/index.ts';

export interface Project {
  projectId: string;
  projectNumber: string;
  displayName: string;
  createTime: string;
}

interface Row {
  project_id: string;
  project_number: string;
  display_name: string;
  create_time: string;
}

const toProject = (r: Row): Project => ({
  projectId: r.project_id,
  projectNumber: r.project_number,
  displayName: r.display_name,
  createTime: r.create_time,
});

/** Projects: an ID chosen by the user and a 12-digit number tarmac assigns. */
export class ProjectRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Finds a project by ID or number. */
  find(idOrNumber: string): Project | undefined {
    const sql = 'SELECT * FROM iam_projects WHERE project_id = ? OR project_number = ?';
    return findOne(this.db, sql, toProject, idOrNumber, idOrNumber);
  }

  /** Like find, but NOT_FOUND when there is no such project. */
  get(idOrNumber: string): Project {
    const p = this.find(idOrNumber);
    if (!p)
      throw new TarmacError('NOT_FOUND', `project ${idOrNumber} not found`, { reason: 'PROJECT_NOT_FOUND' });
    return p;
  }

  list(): Project[] {
    return findAll(this.db, 'SELECT * FROM iam_projects ORDER BY project_id', toProject);
  }

  create(projectId: string, displayName = projectId, projectNumber?: string): Project {
    if (!RESOURCE_ID.test(projectId)) {
      throw invalidArgument(`invalid project ID ${JSON.stringify(projectId)}`, [
        {
          field: 'projectId',
          description: '6-30 lowercase letters, digits or hyphens, starting with a letter',
        },
      ]);
    }
    if (this.find(projectId)) throw alreadyExists(`project ${projectId} already exists`);
    let number = projectNumber ?? randomProjectNumber();
    while (!projectNumber && this.find(number)) number = randomProjectNumber();
    const p: Project = {
      projectId,
      projectNumber: number,
      displayName,
      createTime: new Date(this.clock.now()).toISOString(),
    };
    this.db
      .prepare(
        'INSERT INTO iam_projects (project_id, project_number, display_name, create_time) VALUES (?, ?, ?, ?)',
      )
      .run(p.projectId, p.projectNumber, p.displayName, p.createTime);
    return p;
  }
}
