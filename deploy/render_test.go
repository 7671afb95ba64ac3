package deploy

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
	"time"
)

// The dashboard's panels drawn from Prometheus query results, as an SVG:
// Grafana cannot be installed from the package registries the tests may
// use, so the test renders what each panel's queries return.

type renderedSeries struct {
	label  string
	values [][]any // [unix seconds, "value"]
}

type renderedPanel struct {
	panel  panel
	series []renderedSeries
	rows   []string // table panels
}

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

const (
	panelW, panelH = 600, 250
	plotX, plotY   = 70, 34
	plotW, plotH   = 510, 140
)

func renderSVG(title string, panels []renderedPanel, start, end time.Time) []byte {
	cols := 2
	rows := (len(panels) + cols - 1) / cols
	w, h := cols*panelW+20, rows*panelH+50
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="24" font-size="16" font-weight="bold">%s: the Grafana dashboard's queries through Prometheus, %s to %s UTC (two replicas, 1 s scrapes)</text>`+"\n",
		html.EscapeString(title), start.UTC().Format("2006-01-02 15:04:05"), end.UTC().Format("15:04:05"))
	for i, p := range panels {
		x0, y0 := 10+(i%cols)*panelW, 40+(i/cols)*panelH
		fmt.Fprintf(&b, `<g transform="translate(%d,%d)">`+"\n", x0, y0)
		fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fafafa" stroke="#d0d0d0"/>`+"\n", panelW-10, panelH-10)
		fmt.Fprintf(&b, `<text x="8" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", html.EscapeString(p.panel.Title))
		if p.panel.Type == "table" {
			for j, r := range p.rows {
				fmt.Fprintf(&b, `<text x="12" y="%d" font-family="monospace">%s</text>`+"\n", 44+16*j, html.EscapeString(r))
			}
			b.WriteString("</g>\n")
			continue
		}
		renderPlot(&b, p, start, end)
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func renderPlot(b *bytes.Buffer, p renderedPanel, start, end time.Time) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range p.series {
		for _, v := range s.values {
			if y, ok := point(v); ok {
				lo, hi = math.Min(lo, y[1]), math.Max(hi, y[1])
			}
		}
	}
	if math.IsInf(lo, 1) {
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#888">no data</text>`+"\n", plotX+plotW/2-20, plotY+plotH/2)
		return
	}
	if lo > 0 && lo < hi/3 || hi == lo && lo >= 0 {
		lo = 0
	}
	if hi == lo {
		hi = lo + 1
	}
	pad := (hi - lo) * 0.08
	if lo != 0 {
		lo -= pad
	}
	hi += pad
	t0, t1 := float64(start.Unix()), float64(end.Unix())
	sx := func(t float64) float64 { return plotX + (t-t0)/(t1-t0)*plotW }
	sy := func(v float64) float64 { return plotY + plotH - (v-lo)/(hi-lo)*plotH }
	unit := p.panel.FieldConfig.Defaults.Unit
	for k := 0; k <= 4; k++ {
		v := lo + (hi-lo)*float64(k)/4
		y := sy(v)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`+"\n", plotX, y, plotX+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", plotX-4, y+4, html.EscapeString(formatUnit(v, unit)))
	}
	for k := 0; k <= 4; k++ {
		t := t0 + (t1-t0)*float64(k)/4
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", sx(t), plotY+plotH+14, time.Unix(int64(t), 0).UTC().Format("15:04:05"))
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#bbb"/>`+"\n", plotX, plotY, plotW, plotH)
	for i, s := range p.series {
		color := palette[i%len(palette)]
		var d bytes.Buffer
		move := true
		for _, v := range s.values {
			pt, ok := point(v)
			if !ok {
				move = true
				continue
			}
			cmd := "L"
			if move {
				cmd, move = "M", false
			}
			fmt.Fprintf(&d, "%s%.1f,%.1f ", cmd, sx(pt[0]), sy(pt[1]))
		}
		fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.6"/>`+"\n", bytes.TrimSpace(d.Bytes()), color)
		if i < 6 {
			lx, ly := 8+(i%2)*290, plotY+plotH+32+(i/2)*14
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="3" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, ly-4, color, lx+14, ly, html.EscapeString(truncate(s.label, 44)))
		}
	}
	if len(p.series) > 6 {
		fmt.Fprintf(b, `<text x="8" y="%d" fill="#555">… and %d more series</text>`+"\n", plotY+plotH+32+3*14, len(p.series)-6)
	}
}

func point(v []any) ([2]float64, bool) {
	if len(v) != 2 {
		return [2]float64{}, false
	}
	t, ok := v[0].(float64)
	s, ok2 := v[1].(string)
	if !ok || !ok2 {
		return [2]float64{}, false
	}
	y, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
		return [2]float64{}, false
	}
	return [2]float64{t, y}, true
}

func hasPoints(values [][]any) bool {
	for _, v := range values {
		if _, ok := point(v); ok {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// formatUnit formats an axis value in the panel's Grafana unit.
func formatUnit(v float64, unit string) string {
	switch unit {
	case "currencyUSD":
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	case "percentunit":
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case "H/s":
		return si(v) + "H/s"
	case "s":
		switch a := math.Abs(v); {
		case a == 0:
			return "0"
		case a < 1e-3:
			return strconv.FormatFloat(v*1e6, 'f', 0, 64) + "µs"
		case a < 1:
			return strconv.FormatFloat(v*1e3, 'f', 1, 64) + "ms"
		}
		return strconv.FormatFloat(v, 'f', 1, 64) + "s"
	case "reqps":
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
	return si(v)
}

func si(v float64) string {
	prefixes := []string{"", "k", "M", "G", "T", "P", "E", "Z"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(prefixes)-1 {
		v /= 1000
		i++
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + prefixes[i]
}
