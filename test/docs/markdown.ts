// ---------------------------------------------------------------------------------------------
// The ```ts blocks of a Markdown page, and the page as one module: each block's lines stay at
// their line numbers in the page (every other line is blank), so errors point into the page.
// ---------------------------------------------------------------------------------------------

/** A fenced code block: its info string (`ts`, `ts no-run`, ...), first code line (1-based) and code. */
export interface CodeBlock {
  readonly lang: string
  readonly flags: readonly string[]
  readonly line: number
  readonly code: string
}

/** Every fenced block of a page (``` or ~~~ fences, any language). */
export const codeBlocks = (markdown: string): CodeBlock[] => {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, lang, rest] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = new RegExp(`^\\s*${fence![0]}{${fence!.length},}\\s*$`).exec(lines[j]!)
      if (close) break
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!)
    }
    blocks.push({
      lang: lang!,
      flags: rest!.split(/\s+/).filter(Boolean),
      line: i + 2,
      code: body.join('\n'),
    })
    i = j
  }
  return blocks
}

/** Whether a block is run: a ```ts or ```typescript block not marked `no-run`. */
export const isRunnable = (b: CodeBlock): boolean =>
  (b.lang === 'ts' || b.lang === 'typescript') && !b.flags.includes('no-run')

/** The runnable blocks of a page as one module, each line at its line number in the page. */
export const pageModule = (markdown: string): { code: string; blocks: CodeBlock[] } => {
  const total = markdown.split('\n').length
  const out: string[] = new Array<string>(total).fill('')
  const blocks = codeBlocks(markdown).filter(isRunnable)
  for (const b of blocks) b.code.split('\n').forEach((l, k) => (out[b.line - 1 + k] = l))
  return { code: out.join('\n'), blocks }
}
