// SPDX-License-Identifier: Apache-2.0

// Reads "A<TAB>B" lines, prints golang.org/x/mod/semver.Compare(A, B) per line (-1, 0, 1), or E if
// either is not valid; a missing "v" prefix is added first (the Go vulndb omits it).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func canon(s string) string {
	if !strings.HasPrefix(s, "v") {
		return "v" + s
	}
	return s
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.SplitN(in.Text(), "\t", 2)
		a, b := canon(f[0]), canon(f[1])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "E")
			continue
		}
		fmt.Fprintln(out, semver.Compare(a, b))
	}
}
