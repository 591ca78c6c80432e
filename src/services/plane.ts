import type { Principal } from '../model/index.ts';
import type { Db } from '../store/index.ts';
import { ServicesContext } from './context.ts';
import { ServiceCommands } from './control.ts';
import type { ProjectRef, ServicesDeps } from './deps.ts';
import { ServiceQueries } from './queries.ts';
import { Reconciler } from './reconciler.ts';

/** The services control plane: the API-facing commands and queries plus the reconciler behind them. */
export class ServicesControlPlane {
  readonly services: ServiceCommands;
  readonly queries: ServiceQueries;
  readonly reconciler: Reconciler;
  private readonly ctx: ServicesContext;

  constructor(db: Db, deps: ServicesDeps) {
    this.ctx = new ServicesContext(db, deps);
    this.reconciler = new Reconciler(this.ctx);
    this.services = new ServiceCommands(this.ctx, (uid) => this.reconciler.enqueue(uid));
    this.queries = new ServiceQueries(this.ctx, (op, r) => this.reconciler.removeRevision(op, r));
  }

  /** Resumes reconciling every stored service. */
  start(): void {
    this.reconciler.start();
  }

  /** A project by ID or number (v1 namespaces are either). */
  project(idOrNumber: string): ProjectRef | undefined {
    return this.ctx.deps.iam.project(idOrNumber);
  }

  authenticate(authorization: string | undefined): Promise<Principal> {
    return this.ctx.deps.iam.authenticate(authorization);
  }

  /** Stops reconciling and wakes operation waiters; running containers are the data plane's to drain. */
  dispose(): void {
    this.reconciler.dispose();
  }
}
