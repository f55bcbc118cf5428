import { execFile } from 'node:child_process'

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command without a shell; never throws, always bounded by `timeoutMs`. */
export function run(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, npm_config_update_notifier: 'false' },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) + (error && code === 1 ? `\n${error.message}` : ''),
        })
      },
    )
  })
}
