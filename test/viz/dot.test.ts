import { describe, expect, it } from 'vitest'
import { digraph, dotId, dotLabel, renderDot } from '../../src/viz/dot.js'

/** The text content of every `<text>` element of an SVG, with XML entities decoded. */
function texts(svg: string): string[] {
  const decode = (s: string): string =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
      .replace(/&amp;/g, '&')
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1] ?? ''))
}

describe('dotId and dotLabel', () => {
  it('escape quotes, backslashes, ampersands and newlines', () => {
    expect(dotId('plain')).toBe('"plain"')
    expect(dotId('say "hi"')).toBe('"say \\"hi\\""')
    expect(dotId('ends\\')).toBe('"ends\\\\"')
    expect(dotLabel('a & b\nc')).toBe('"a &amp; b\\nc"')
    expect(dotLabel('x\r\ny\rz')).toBe('"x\\ny\\nz"')
    expect(dotLabel('<b>')).toBe('"<b>"')
  })
})

describe('digraph', () => {
  it('writes nodes, edges and attributes', () => {
    const dot = digraph({
      nodes: [
        { id: 'x', shape: 'ellipse' },
        { id: 'y', label: 'sin', shape: 'box', color: 'red', fillcolor: '#ddeeff', tooltip: 'y = sin(x)' },
      ],
      edges: [{ from: 'x', to: 'y', label: 'dx', style: 'dashed' }],
      rankdir: 'LR',
    })
    expect(dot).toContain('rankdir=LR;')
    expect(dot).toContain('"x" [label="x", shape="ellipse"];')
    expect(dot).toContain(
      '"y" [label="sin", shape="box", color="red", fillcolor="#ddeeff", style="filled", tooltip="y = sin(x)"];',
    )
    expect(dot).toContain('"x" -> "y" [label="dx", style="dashed"];')
  })

  it('rejects duplicate ids and edges to unknown nodes', () => {
    expect(() => digraph({ nodes: [{ id: 'a' }, { id: 'a' }], edges: [] })).toThrow(/duplicate node id "a"/)
    expect(() => digraph({ nodes: [{ id: 'a' }], edges: [{ from: 'a', to: 'b' }] })).toThrow(
      /unknown node "b"/,
    )
  })
})

describe('renderDot', () => {
  it('renders a small graph to SVG with its labels', async () => {
    const dot = digraph({
      nodes: [
        { id: 'x', label: 'input x' },
        { id: 'f', label: 'matmul', shape: 'box' },
        { id: 'g', label: 'tanh', shape: 'box' },
      ],
      edges: [
        { from: 'x', to: 'f' },
        { from: 'f', to: 'g', label: '[3, 4]' },
      ],
      name: 'tape',
    })
    const svg = await renderDot(dot)
    expect(svg).toContain('<svg')
    expect(svg).toContain('<title>tape</title>')
    expect(texts(svg)).toEqual(expect.arrayContaining(['input x', 'matmul', 'tanh', '[3, 4]']))
    expect(svg.match(/class="node"/g)).toHaveLength(3)
    expect(svg.match(/class="edge"/g)).toHaveLength(2)
  })

  it('shows awkward labels and ids literally', async () => {
    const label = 'a & b <c> "q" \\ &lt; é'
    const dot = digraph({
      nodes: [
        { id: 'weird "id" \\', label: `${label}\nline two` },
        { id: 'plain', tooltip: 'tip & "quote"' },
      ],
      edges: [{ from: 'weird "id" \\', to: 'plain', label: 'ends with \\' }],
    })
    const svg = await renderDot(dot)
    const shown = texts(svg)
    expect(shown).toContain(label)
    expect(shown).toContain('line two')
    expect(shown).toContain('ends with \\')
    expect(svg).toContain('tip &amp; &quot;quote&quot;')
    expect(svg.match(/class="edge"/g)).toHaveLength(1)
  })

  it('reuses the loaded module and reports syntax errors', async () => {
    const first = await renderDot('digraph { a -> b }')
    const second = await renderDot('digraph { a -> b }', 'neato')
    expect(first).toContain('<svg')
    expect(second).toContain('<svg')
    await expect(renderDot('digraph { a -> }')).rejects.toThrow(/syntax error/)
  })
})
