export type StageState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

interface Stage {
  key: string;
  label: string;
  state: StageState;
  detail?: string;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MARK: Record<StageState, string> = { pending: '.', running: '', done: '✓', failed: 'X', skipped: '-' };

/**
 * Staged progress as gcloud prints it while it waits for an operation: a title, indented stages and a
 * spinner, redrawn in place on a terminal; plain lines (one per finished stage) otherwise.
 */
export class Progress {
  private readonly stages: Stage[];
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private drawn = 0;
  private finished = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly title: string,
    stages: { key: string; label: string }[],
  ) {
    this.stages = stages.map((s) => ({ ...s, state: 'pending' }));
  }

  start(): this {
    if (this.tty) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    } else this.out.write(`${this.title}\n`);
    return this;
  }

  /** Moves a stage on; stages never go back from done/failed. */
  set(key: string, state: StageState, detail?: string): void {
    const s = this.stages.find((x) => x.key === key);
    if (!s || s.state === state || s.state === 'done' || s.state === 'failed' || s.state === 'skipped')
      return;
    s.state = state;
    if (detail !== undefined) s.detail = detail;
    if (!this.tty && (state === 'done' || state === 'failed')) {
      this.out.write(
        `  ${s.label}...${state === 'done' ? 'done' : 'failed'}${s.detail ? ` ${s.detail}` : ''}\n`,
      );
    }
    if (this.tty) this.draw();
  }

  /** Marks the whole thing finished: remaining running stages take `ok`'s outcome. */
  finish(ok: boolean, message?: string): void {
    if (this.finished) return;
    for (const s of this.stages) {
      if (s.state === 'running' || (ok && s.state === 'pending')) this.set(s.key, ok ? 'done' : 'failed');
    }
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.draw();
    this.out.write(`${message ?? (ok ? 'Done.' : 'Failed.')}\n`);
  }

  private draw(): void {
    const spin = FRAMES[this.frame++ % FRAMES.length]!;
    const allDone = this.finished && this.stages.every((s) => s.state === 'done' || s.state === 'skipped');
    const failed = this.stages.some((s) => s.state === 'failed');
    const head = `${this.finished ? (failed ? 'X' : allDone ? '✓' : ' ') : spin} ${this.title}`;
    const lines = [
      head,
      ...this.stages.map(
        (s) =>
          `  ${s.state === 'running' ? spin : MARK[s.state]} ${s.label}...${s.detail ? ` ${s.detail}` : ''}`,
      ),
    ];
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    this.out.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.drawn = lines.length;
  }
}
