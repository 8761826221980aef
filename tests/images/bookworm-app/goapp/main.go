// gofixture: a small module-mode Go program whose build info (`go version -m`) lists real
// dependencies, for stockade's Go cataloger tests. Dependencies are vendored from Debian's
// golang-*-dev packages at build time (see vendor.sh), so the build needs no module proxy.
package main

import (
	"fmt"
	"os"

	"github.com/google/uuid"
	"github.com/pkg/errors"
	"github.com/sirupsen/logrus"
	"golang.org/x/net/html/charset"
	"gopkg.in/yaml.v3"
)

func main() {
	log := logrus.New()
	var cfg struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal([]byte("name: gofixture\n"), &cfg); err != nil {
		log.Fatal(errors.Wrap(err, "cannot parse the built-in configuration"))
	}
	_, enc, _ := charset.DetermineEncoding([]byte("<html></html>"), "text/html")
	fmt.Fprintln(os.Stdout, cfg.Name, uuid.NewString(), enc)
}
