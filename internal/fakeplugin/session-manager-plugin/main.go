// Command session-manager-plugin is a stand-in for AWS's Session Manager
// plugin that records how it was started instead of opening a data
// channel. It answers --version like the real plugin, so callers pick the
// same argument form they would pick for the real one.
//
// FAKEPLUGIN_VERSION sets the version it reports (default 1.2.707.0),
// FAKEPLUGIN_RECORD the file it appends one JSON record per run to, and
// FAKEPLUGIN_EXIT the status it exits with.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// record is one run: the arguments and the response variable's value.
type record struct {
	Args        []string `json:"args"`
	ResponseEnv *string  `json:"responseEnv"`
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		v := os.Getenv("FAKEPLUGIN_VERSION")
		if v == "" {
			v = "1.2.707.0"
		}
		fmt.Println(v)
		return
	}
	rec := record{Args: os.Args[1:]}
	if v, ok := os.LookupEnv("AWS_SSM_START_SESSION_RESPONSE"); ok {
		rec.ResponseEnv = &v
	}
	if p := os.Getenv("FAKEPLUGIN_RECORD"); p != "" {
		data, _ := json.Marshal(rec)
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake session-manager-plugin:", err)
			os.Exit(3)
		}
		_, _ = f.Write(append(data, '\n'))
		_ = f.Close()
	}
	fmt.Println("Starting session with SessionId:", sessionID(rec))
	if code, err := strconv.Atoi(os.Getenv("FAKEPLUGIN_EXIT")); err == nil {
		os.Exit(code)
	}
}

func sessionID(r record) string {
	raw := ""
	if len(r.Args) > 0 {
		raw = r.Args[0]
	}
	if r.ResponseEnv != nil && raw == "AWS_SSM_START_SESSION_RESPONSE" {
		raw = *r.ResponseEnv
	}
	var resp struct{ SessionId string }
	_ = json.Unmarshal([]byte(raw), &resp)
	return resp.SessionId
}
