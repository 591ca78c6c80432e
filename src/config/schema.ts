import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

/** The whole configuration with its defaults. Every key can come from a file, TARMAC_* or a flag. */
export const configSchema = z
  .object({
    home: z.string().min(1),
    bind: z.string().ip().or(z.literal('localhost')).default('127.0.0.1'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ports: z
      .object({
        ingress: port.default(8080),
        api: port.default(8090),
        registry: port.default(8091),
        /** Metadata server for containers (they reach it as 10.0.2.2:PORT); 0 picks a free port. */
        metadata: port.default(0),
      })
      .strict()
      .default({}),
    /**
     * Serve metadata.google.internal on 127.0.0.1:80 (containers reach it as 10.0.2.2:80); needs
     * root; shared by the installations on one machine. GCE_METADATA_HOST works either way.
     */
    metadataPort80: z.boolean().default(true),
    /** Base domain of service URLs: SERVICE-PROJECT_NUMBER.REGION.<domain>. */
    domain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'a DNS name such as run.localhost')
      .default('run.localhost'),
    defaultRegion: z
      .string()
      .regex(/^[a-z]+-[a-z]+[0-9]+$/, 'a region such as us-central1')
      .default('us-central1'),
    defaultProject: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project ID: 6-30 lowercase letters, digits, hyphens')
      .default('tarmac-project'),
    engine: z
      .object({
        /** Docker API endpoint: unix:///path.sock or tcp://host:port; empty = detect. */
        host: z.string().default(''),
        /** Install and start Podman when no engine is reachable (root on Debian/Ubuntu). */
        provision: z.boolean().default(true),
        /**
         * Make the built-in registry the engine's docker.io mirror (registries.conf.d drop-in) and
         * publish the base images into it under library/. Only with a fixed registry port.
         */
        dockerHubMirror: z.boolean().default(true),
      })
      .strict()
      .default({}),
    serving: z
      .object({
        idleTimeoutSeconds: z.number().int().min(1).max(86_400).default(900),
        targetUtilization: z.number().min(0.1).max(1).default(0.6),
        /** A new revision not ready within this many seconds fails (PROGRESS_DEADLINE_EXCEEDED). */
        progressDeadlineSeconds: z.number().int().min(1).max(3600).default(600),
      })
      .strict()
      .default({}),
    logs: z
      .object({
        /** Stored log bytes (entries as JSON) kept per revision; the oldest entries go first. */
        maxBytesPerRevision: z
          .number()
          .int()
          .min(64 * 1024)
          .default(64 * 1024 * 1024),
        maxEntriesPerRevision: z.number().int().min(100).default(200_000),
        maxAgeDays: z.number().min(0.001).max(3650).default(7),
      })
      .strict()
      .default({}),
    builds: z
      .object({
        parallelism: z.number().int().min(1).max(64).default(1),
        /** Largest source upload accepted (bytes). */
        maxSourceBytes: z
          .number()
          .int()
          .min(1024)
          .default(256 * 1024 * 1024),
      })
      .strict()
      .default({}),
  })
  .strict();

export type ParsedConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
