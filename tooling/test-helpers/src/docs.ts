// Reading a package README the way the docs-vs-code tests need it.
import { readFileSync } from 'node:fs'

/**
 * The error codes listed in a README's error table: every `HOTPATH_*` code that starts a table row
 * (`| \`HOTPATH_X\` | ... |`). Compared both ways with the package's error registry.
 */
export function readmeErrorCodes(readmePath: string | URL): string[] {
  const text = readFileSync(readmePath, 'utf8')
  const codes = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /^\|\s*`(HOTPATH_[A-Z0-9_]+)`\s*\|/.exec(line)
    if (m) codes.add(m[1] as string)
  }
  return [...codes].sort()
}

/** The fenced ```ts code blocks of a Markdown file, in order (for tests that run README examples). */
export function markdownCodeBlocks(path: string | URL, lang = 'ts'): string[] {
  const text = readFileSync(path, 'utf8')
  const blocks: string[] = []
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g')
  for (let m = re.exec(text); m !== null; m = re.exec(text)) blocks.push(m[1] as string)
  return blocks
}
