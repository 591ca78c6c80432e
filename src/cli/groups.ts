import type { Command } from 'commander';

/** What a command group's file exports: it fills in its group command (see README.md). */
export interface GroupModule {
  register(group: Command): void;
}

export interface GroupEntry {
  name: string;
  summary: string;
  /** Imported only when the command line names this group (or for help and completion). */
  load: () => Promise<GroupModule>;
}

/** The top-level command groups. Adding one is a file in this folder plus one line here. */
export const GROUPS: GroupEntry[] = [
  {
    name: 'config',
    summary: 'View and edit tarmac CLI properties and configurations',
    load: () => import('./config/index.ts'),
  },
  {
    name: 'run',
    summary: 'Manage services, revisions and traffic (Cloud Run)',
    load: () => import('./run/index.ts'),
  },
  {
    name: 'builds',
    summary: 'Create and manage builds (Cloud Build)',
    load: () => import('./builds/index.ts'),
  },
  {
    name: 'auth',
    summary: 'Print tokens and manage the credentials the CLI uses',
    load: () => import('./auth.ts'),
  },
  {
    name: 'iam',
    summary: 'Manage service accounts and their keys',
    load: () => import('./iam.ts'),
  },
  {
    name: 'projects',
    summary: 'Manage the IAM policy of projects',
    load: () => import('./projects.ts'),
  },
  {
    name: 'scheduler',
    summary: 'Manage Cloud Scheduler jobs',
    load: () => import('./scheduler.ts'),
  },
  {
    name: 'console',
    summary: 'Print a signed-in URL of the web console',
    load: () => import('./console.ts'),
  },
  {
    name: 'registry',
    summary: 'Maintain the built-in container registry',
    load: () => import('./registry.ts'),
  },
  {
    name: 'completion',
    summary: 'Print a shell completion script (bash or zsh)',
    load: () => import('./completion.ts'),
  },
];
