import { Resvg } from '@resvg/resvg-js'
import { writeFile } from 'node:fs/promises'
import { plotMarks, renderVegaLite, type PlotMark, type TopLevelSpec } from '../../bench/plot/plot.js'

// The picture check: a plot is rendered to SVG and then to pixels with resvg, once as it is and
// once with its data marks taken out (vega writes each mark as one `<g class="mark-… role-mark">`
// group). Every item that plotMarks reports must change pixels inside its bounding box (give or
// take a pixel): then the item is really drawn, by itself, where vega says it is. An item of no
// extent (a bar of zero length on a broken log scale) changes nothing, even where gridlines or
// an axis line make the box non-blank.

/** RGBA pixels of a rendered SVG, row by row. */
export interface Picture {
  readonly width: number
  readonly height: number
  readonly pixels: Uint8Array
  readonly png: Buffer
}

/** A pixel counts as changed when one channel moves by more than this (of 255). */
const THRESHOLD = 8
/** How far around an item's box its pixels are looked for. */
const TOLERANCE = 1

/** Renders SVG text on white, with the system fonts, one SVG pixel to one picture pixel. */
export function rasterize(svg: string): Picture {
  const image = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render()
  return { width: image.width, height: image.height, pixels: image.pixels, png: image.asPng() }
}

/** The SVG with every non-group data mark of vega removed: axes, legends and titles stay. */
export function withoutDataMarks(svg: string): string {
  return svg.replace(
    /<g class="mark-(?!group)[a-z]+ role-mark[ "][^>]*>([\s\S]*?)<\/g>/g,
    (group, inner: string) => {
      // items of a non-group mark are single elements; a nested group would end the match early
      if (inner.includes('<g')) throw new Error(`withoutDataMarks: nested group in ${group.slice(0, 80)}`)
      return ''
    },
  )
}

let fonts: boolean | undefined
/** Whether resvg finds a font here: without one, text marks draw nothing and are not checked. */
export function fontsAvailable(): boolean {
  if (fonts === undefined) {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><text x="2" y="22" font-size="20" font-family="sans-serif">Hg</text></svg>'
    const { pixels } = rasterize(svg)
    fonts = pixels.some((v, i) => i % 4 !== 3 && v < 255 - THRESHOLD)
  }
  return fonts
}

const at = (p: Picture, x: number, y: number) => 4 * (y * p.width + x)
const differs = (a: Uint8Array, b: Uint8Array, i: number) =>
  Math.max(Math.abs(a[i]! - b[i]!), Math.abs(a[i + 1]! - b[i + 1]!), Math.abs(a[i + 2]! - b[i + 2]!)) >
  THRESHOLD
const inked = (a: Uint8Array, i: number) => Math.min(a[i]!, a[i + 1]!, a[i + 2]!) < 255 - THRESHOLD

/** What the picture check found. */
export interface PictureCheck {
  /** One line per item that drew nothing inside its box, and one if the picture is blank. */
  readonly problems: readonly string[]
  /** The items checked. */
  readonly marks: readonly PlotMark[]
  /** Pixels that the data marks change, over the whole picture. */
  readonly dataPixels: number
  readonly svg: string
  readonly picture: Picture
}

/** Checks a rendered SVG against the items plotMarks reported for the same spec. */
export function checkSvg(svg: string, marks: readonly PlotMark[]): Omit<PictureCheck, 'marks'> {
  const picture = rasterize(svg)
  const bare = rasterize(withoutDataMarks(svg))
  const { width, height, pixels } = picture
  const problems: string[] = []
  if (bare.width !== width || bare.height !== height)
    problems.push('taking the data marks out changed the size')
  let dataPixels = 0
  let ink = 0
  for (let i = 0; i < pixels.length; i += 4) {
    if (differs(pixels, bare.pixels, i)) dataPixels++
    if (inked(pixels, i)) ink++
  }
  if (ink === 0) problems.push('the picture is blank')
  if (dataPixels === 0 && marks.length > 0) problems.push('the data marks draw nothing')
  const checkText = fontsAvailable()
  marks.forEach((m, k) => {
    if (m.type === 'text' && !checkText) return
    const { x1, y1, x2, y2 } = m.box
    const where = `${m.name} (${m.type}) item ${k} at (${x1}, ${y1})–(${x2}, ${y2})`
    if (![x1, y1, x2, y2].every(Number.isFinite)) {
      problems.push(`${where}: box not finite`)
      return
    }
    const [c0, c1] = [Math.max(0, Math.floor(x1 - TOLERANCE)), Math.min(width, Math.ceil(x2 + TOLERANCE))]
    const [r0, r1] = [Math.max(0, Math.floor(y1 - TOLERANCE)), Math.min(height, Math.ceil(y2 + TOLERANCE))]
    for (let y = r0; y < r1; y++)
      for (let x = c0; x < c1; x++) {
        const i = at(picture, x, y)
        if (differs(pixels, bare.pixels, i) && inked(pixels, i)) return
      }
    problems.push(`${where}: no pixel of it in the picture`)
  })
  return { problems, dataPixels, svg, picture }
}

/**
 * Renders a spec (not strictly), finds its data-mark items with plotMarks and checks that each
 * one shows in the picture. With `png`, the picture is also written there, to look at.
 */
export async function checkPicture(spec: TopLevelSpec, opts: { png?: string } = {}): Promise<PictureCheck> {
  const svg = await renderVegaLite(spec)
  const marks = await plotMarks(spec)
  const check = checkSvg(svg, marks)
  if (opts.png !== undefined) await writeFile(opts.png, check.picture.png)
  return { ...check, marks }
}

/**
 * The box around the pixels of one color (within `slack` per channel) inside `around`, or null
 * when there are none: to compare a box of plotMarks with what the picture shows.
 */
export function colorBox(
  picture: Picture,
  rgb: readonly [number, number, number],
  around: { x1: number; y1: number; x2: number; y2: number },
  slack = 6,
): { x1: number; y1: number; x2: number; y2: number } | null {
  let box: { x1: number; y1: number; x2: number; y2: number } | null = null
  const [c0, c1] = [Math.max(0, Math.floor(around.x1)), Math.min(picture.width, Math.ceil(around.x2))]
  const [r0, r1] = [Math.max(0, Math.floor(around.y1)), Math.min(picture.height, Math.ceil(around.y2))]
  for (let y = r0; y < r1; y++)
    for (let x = c0; x < c1; x++) {
      const i = at(picture, x, y)
      const p = picture.pixels
      if (rgb.every((v, c) => Math.abs(p[i + c]! - v) <= slack)) {
        box =
          box === null
            ? { x1: x, y1: y, x2: x + 1, y2: y + 1 }
            : {
                x1: Math.min(box.x1, x),
                y1: Math.min(box.y1, y),
                x2: Math.max(box.x2, x + 1),
                y2: Math.max(box.y2, y + 1),
              }
      }
    }
  return box
}
