package history

import "time"

// TrailingMeans returns, for each of the dated values (UTC dates
// "2006-01-02", ascending, at most one per day), the simple mean of the
// values of the window days ending that day (that day and the window-1
// before it), as the Hashrate Index averages daily hashprice (7- and
// 30-day moving averages). A mean is nil until every one of its window
// days has a value: a missing day (no point, or a nil value) leaves the
// means of the window days after it nil. A date that does not parse
// gives nil.
func TrailingMeans(dates []string, values []*float64, window int) []*float64 {
	out := make([]*float64, len(dates))
	if window < 1 || len(values) != len(dates) {
		return out
	}
	days := make([]int64, len(dates))
	for i, d := range dates {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			days[i] = -1 << 62
			continue
		}
		days[i] = t.Unix() / 86400
	}
	for i := range dates {
		if days[i] < -1<<61 || i+1 < window {
			continue
		}
		lo := i - window + 1
		// window consecutive points covering window consecutive days.
		if days[i]-days[lo] != int64(window-1) {
			continue
		}
		sum, ok := 0.0, true
		for j := lo; j <= i; j++ {
			if values[j] == nil || days[j] < -1<<61 {
				ok = false
				break
			}
			sum += *values[j]
		}
		if ok {
			m := sum / float64(window)
			out[i] = &m
		}
	}
	return out
}
