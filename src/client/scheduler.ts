import type { HttpClient } from './http.ts';
import type { JobExecution } from '../model/index.ts';
import type { SchedulerJob } from './types.ts';

const enc = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

/** cloudscheduler.googleapis.com v1 jobs. */
export class SchedulerClient {
  constructor(readonly http: HttpClient) {}

  list(parent: string): Promise<SchedulerJob[]> {
    return this.http.listAll(`/v1/${enc(parent)}/jobs`, 'jobs');
  }

  get(name: string): Promise<SchedulerJob> {
    return this.http.get(`/v1/${enc(name)}`);
  }

  create(parent: string, job: SchedulerJob): Promise<SchedulerJob> {
    return this.http.request('POST', `/v1/${enc(parent)}/jobs`, { body: job });
  }

  update(job: SchedulerJob & { name: string }, updateMask?: string): Promise<SchedulerJob> {
    return this.http.request('PATCH', `/v1/${enc(job.name)}`, { query: { updateMask }, body: job });
  }

  delete(name: string): Promise<unknown> {
    return this.http.request('DELETE', `/v1/${enc(name)}`);
  }

  pause(name: string): Promise<SchedulerJob> {
    return this.http.request('POST', `/v1/${enc(name)}:pause`, { body: {} });
  }

  resume(name: string): Promise<SchedulerJob> {
    return this.http.request('POST', `/v1/${enc(name)}:resume`, { body: {} });
  }

  run(name: string): Promise<SchedulerJob> {
    return this.http.request('POST', `/v1/${enc(name)}:run`, { body: {} });
  }

  /** The job's attempts, newest first (tarmac's GET .../jobs/JOB/executions). */
  executions(name: string): Promise<JobExecution[]> {
    return this.http.listAll(`/v1/${enc(name)}/executions`, 'executions');
  }
}
