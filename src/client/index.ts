import { HttpClient, type ClientOptions } from './http.ts';
import { RunV2Client } from './run.ts';
import { IamClient } from './iam.ts';
import { SchedulerClient } from './scheduler.ts';
import { CloudBuildClient } from './cloudbuild.ts';
import { OAuthClient } from './oauth.ts';
import { LoggingClient } from './logging.ts';

export { HttpClient, errorFromResponse, type ClientOptions, type RequestOptions } from './http.ts';
export { RunV2Client, pollOperation, operationError, type WaitOptions } from './run.ts';
export { IamClient } from './iam.ts';
export { SchedulerClient } from './scheduler.ts';
export { CloudBuildClient } from './cloudbuild.ts';
export { OAuthClient, type TokenAnswer } from './oauth.ts';
export { LoggingClient, type LogEntry, type MetricJson } from './logging.ts';
export type * from './types.ts';

/** Every API client over one endpoint and credential (tarmac serves all APIs on one listener). */
export class TarmacClient {
  readonly http: HttpClient;
  readonly run: RunV2Client;
  readonly iam: IamClient;
  readonly scheduler: SchedulerClient;
  readonly builds: CloudBuildClient;
  readonly oauth: OAuthClient;
  readonly logging: LoggingClient;

  constructor(opts: ClientOptions) {
    this.http = new HttpClient(opts);
    this.run = new RunV2Client(this.http);
    this.iam = new IamClient(this.http);
    this.scheduler = new SchedulerClient(this.http);
    this.builds = new CloudBuildClient(this.http);
    this.oauth = new OAuthClient(this.http);
    this.logging = new LoggingClient(this.http);
  }
}
export {
  asKeyFile,
  exchangeKeyFile,
  refreshCredential,
  type OAuthTokens,
  type ServiceAccountKeyFile,
} from './keyfile.ts';
