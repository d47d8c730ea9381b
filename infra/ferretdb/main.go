// Command techbank-ferretdb runs FerretDB v1 (a server speaking the MongoDB
// wire protocol) over PostgreSQL (-handler postgresql -postgresql-url ...) or
// SQLite (-handler sqlite -sqlite-dir ...), for local development and CI
// without Docker. infra/stack.sh runs it over PostgreSQL.
//
// Why a main module of our own: `go install .../cmd/ferretdb@v1.24.2` builds a
// binary that panics at start, because FerretDB's build/version package only
// accepts its git-ignored version.txt when the main module is FerretDB itself
// (upstream issue 2982). Embedding the public `ferretdb` package avoids that.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteDir := flag.String("sqlite-dir", "", "existing directory for SQLite databases (sqlite handler)")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL (postgresql handler)")
	debug := flag.Bool("debug", false, "log at debug level")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := &ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		PostgreSQLURL: *pgURL,
	}

	if *handler == "sqlite" {
		if *sqliteDir == "" {
			fail("-sqlite-dir is required for the sqlite handler")
		}
		// FerretDB wants a `file:` URI naming an existing directory, ending in '/'.
		if err := os.MkdirAll(*sqliteDir, 0o755); err != nil {
			fail(err.Error())
		}
		cfg.SQLiteURL = "file:" + strings.TrimSuffix(*sqliteDir, "/") + "/"
	}

	f, err := ferretdb.New(cfg)
	if err != nil {
		fail(err.Error())
	}

	// SIGTERM/SIGINT cancel the context; Run then closes listener and backend cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("techbank-ferretdb starting", "listen", *listen, "handler", *handler, "uri", "mongodb://"+*listen+"/")
	if err := f.Run(ctx); err != nil {
		fail(err.Error())
	}
	logger.Info("techbank-ferretdb stopped")
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "techbank-ferretdb:", msg)
	os.Exit(1)
}
