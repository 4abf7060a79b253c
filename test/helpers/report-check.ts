// Opens an HTML report in headless Chromium and says what rendered: every chart (its
// data-points, drawn size, data marks with a non-empty box), every image (decoded
// size), and every script error. The check script is the test's: it is injected into a
// copy of the page, which Chromium dumps after the load event.
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from './chromium.js';

export interface ChartCheck {
  id: string;
  points: number;
  w: number;
  h: number;
  marks: number;
  drawn: number;
}
export interface ImageCheck {
  alt: string;
  complete: boolean;
  w: number;
  h: number;
}
export interface PageCheck {
  errors: string[];
  charts: ChartCheck[];
  images: ImageCheck[];
  title: string;
  loaded: boolean;
}

const HEAD = `<script>window.__errors=[];addEventListener('error',function(e){__errors.push(String(e.message||e.type)+(e.filename?' @'+e.filename:''))},true);</script>`;
const TAIL = `<script>addEventListener('load',function(){var o={errors:window.__errors,charts:[],images:[],title:document.title,loaded:true};
document.querySelectorAll('figure.chart').forEach(function(f){var s=f.querySelector('svg');var b=s?s.getBoundingClientRect():{width:0,height:0};
var m=f.querySelectorAll('path.series, circle.pt, rect.bar');var d=0;m.forEach(function(x){var r=x.getBBox();if(r.width>0||r.height>0)d++});
o.charts.push({id:f.dataset.chart,points:Number(f.dataset.points),w:b.width,h:b.height,marks:m.length,drawn:d})});
Array.prototype.forEach.call(document.images,function(i){o.images.push({alt:i.alt,complete:i.complete,w:i.naturalWidth,h:i.naturalHeight})});
var p=document.createElement('pre');p.id='__check';p.textContent=JSON.stringify(o);document.body.appendChild(p)});</script>`;

export async function checkReport(htmlFile: string, copy: string): Promise<PageCheck> {
  const html = readFileSync(htmlFile, 'utf8');
  const withChecks = html.replace(/<head>/i, `<head>${HEAD}`).replace(/<\/body>/i, `${TAIL}</body>`);
  writeFileSync(copy, withChecks);
  const r = await chromium(['--virtual-time-budget=10000', '--dump-dom', `file://${copy}`]);
  const m = /<pre id="__check">([\s\S]*?)<\/pre>/.exec(r.stdout);
  if (!m) throw new Error(`chromium gave no check result (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  const json = m[1]
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return JSON.parse(json) as PageCheck;
}

/** A PNG screenshot of the page (the whole report, `height` px tall). */
export async function screenshot(htmlFile: string, png: string, height = 4000): Promise<void> {
  const r = await chromium([`--window-size=1300,${height}`, `--screenshot=${png}`, `file://${htmlFile}`]);
  if (r.code !== 0) throw new Error(`chromium --screenshot failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
}
