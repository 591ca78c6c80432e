import type { Command } from 'commander';
import { registerDeploy } from './deploy.ts';
import { registerServices } from './services.ts';
import { registerRevisions } from './revisions.ts';

/** `tarmac run ...`: deploy, services, revisions (gcloud run). */
export function register(group: Command): void {
  group.description('Manage Cloud Run services, revisions and traffic on tarmac.');
  registerDeploy(group);
  registerServices(group);
  registerRevisions(group);
}
