// SPDX-License-Identifier: Apache-2.0
//
// An independent computation of which Go vulnerability database records affect which Go modules, for
// tests/integration/t5001-vuln-go.sh: it reads the OSV JSON records of the Go database as they are
// published and evaluates their SEMVER ranges with golang.org/x/mod/semver (Debian's
// golang-golang-x-mod-dev, GOPATH mode, no network), following the OSV specification's evaluation.
// Nothing of stockade is used.
//
//	go run osv-go.go FEED-DIR < packages.tsv     # packages: PATH<TAB>MODULE<TAB>VERSION
//
// Output, one line per (package, vulnerability): PATH MODULE VERSION IDS FIXED, tab-separated, where
// IDS are the record ids and aliases of every record linked to another through an id (sorted, comma-
// separated) and FIXED the highest of the records' fixed versions ("-" when none). A record's fixed
// version is the smallest "fixed" event above the installed version in a range that affects it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

type event struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

type record struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Withdrawn string   `json:"withdrawn"`
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string  `json:"type"`
			Events []event `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

func sv(v string) string {
	if v == "0" {
		return "v0.0.0-0"
	}
	if !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}

func value(e event) string {
	switch {
	case e.Introduced != "":
		return e.Introduced
	case e.Fixed != "":
		return e.Fixed
	case e.LastAffected != "":
		return e.LastAffected
	}
	return e.Limit
}

// affects evaluates one range for version v; returns whether v is affected and the smallest fixed
// event above v. A list of introduced/fixed pairs (every Go record) is the union of its intervals, as
// OSV.dev computes it; other lists take the specification's walk over sorted events.
func affects(events []event, v string) (bool, string) {
	pairs := true
	for i, e := range events {
		if (i%2 == 0) != (e.Introduced != "") {
			pairs = false
		}
	}
	in := false
	if pairs {
		for i := 0; i < len(events); i += 2 {
			if events[i].Introduced != "0" && semver.Compare(v, sv(events[i].Introduced)) < 0 {
				continue
			}
			switch {
			case i+1 == len(events):
				in = true
			case events[i+1].Fixed != "" && semver.Compare(v, sv(events[i+1].Fixed)) < 0:
				in = true
			case events[i+1].LastAffected != "" && semver.Compare(v, sv(events[i+1].LastAffected)) <= 0:
				in = true
			}
		}
	} else {
		evs := append([]event(nil), events...)
		sort.SliceStable(evs, func(i, j int) bool { return semver.Compare(sv(value(evs[i])), sv(value(evs[j]))) < 0 })
		for _, e := range evs {
			switch {
			case e.Introduced != "":
				if e.Introduced == "0" || semver.Compare(v, sv(e.Introduced)) >= 0 {
					in = true
				}
			case e.Fixed != "":
				if semver.Compare(v, sv(e.Fixed)) >= 0 {
					in = false
				}
			case e.LastAffected != "":
				if semver.Compare(v, sv(e.LastAffected)) > 0 {
					in = false
				}
			}
		}
	}
	if !in {
		return false, ""
	}
	fixed := ""
	for _, e := range events {
		if e.Fixed != "" && semver.Compare(sv(e.Fixed), v) > 0 && (fixed == "" || semver.Compare(sv(e.Fixed), sv(fixed)) < 0) {
			fixed = e.Fixed
		}
	}
	return true, fixed
}

type hit struct {
	ids   []string
	fixed string
}

func main() {
	files, _ := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	byModule := map[string][]*record{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var r record
		if err := json.Unmarshal(data, &r); err != nil {
			panic(fmt.Sprintf("%s: %v", f, err))
		}
		if r.Withdrawn != "" {
			continue
		}
		seen := map[string]bool{}
		for _, a := range r.Affected {
			if a.Package.Ecosystem == "Go" && !seen[a.Package.Name] {
				seen[a.Package.Name] = true
				byModule[a.Package.Name] = append(byModule[a.Package.Name], &r)
			}
		}
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		path, module, version := f[0], f[1], sv(f[2])
		var hits []hit
		for _, r := range byModule[module] {
			affected, fixed := false, ""
			for _, a := range r.Affected {
				if a.Package.Ecosystem != "Go" || a.Package.Name != module {
					continue
				}
				for _, rg := range a.Ranges {
					if rg.Type != "SEMVER" {
						continue
					}
					if ok, fx := affects(rg.Events, version); ok {
						affected = true
						if fx != "" && (fixed == "" || semver.Compare(sv(fx), sv(fixed)) > 0) {
							fixed = fx
						}
					}
				}
			}
			if affected {
				hits = append(hits, hit{append([]string{r.ID}, r.Aliases...), fixed})
			}
		}
		// records linked through any id are one vulnerability
		for merged := true; merged; {
			merged = false
			for i := 0; i < len(hits) && !merged; i++ {
				for j := i + 1; j < len(hits) && !merged; j++ {
					if shares(hits[i].ids, hits[j].ids) {
						hits[i].ids = append(hits[i].ids, hits[j].ids...)
						if hits[j].fixed != "" && (hits[i].fixed == "" || semver.Compare(sv(hits[j].fixed), sv(hits[i].fixed)) > 0) {
							hits[i].fixed = hits[j].fixed
						}
						hits = append(hits[:j], hits[j+1:]...)
						merged = true
					}
				}
			}
		}
		for _, h := range hits {
			fixed := h.fixed
			if fixed == "" {
				fixed = "-"
			}
			fmt.Printf("%s\t%s\t%s\t%s\t%s\n", path, module, f[2], strings.Join(uniq(h.ids), ","), fixed)
		}
	}
}

func shares(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func uniq(v []string) []string {
	sort.Strings(v)
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}
