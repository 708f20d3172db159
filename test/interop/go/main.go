// Command conclave-go-driver drives etcd's real Go client (clientv3, clientv3/concurrency and
// contrib/recipes of etcd 3.4) for Conclave's interop tests. It is built by the test setup
// (test/interop/go-driver.ts), never committed as a binary.
//
// Protocol: JSON lines, the same as the Node children of test/harness/client-process.ts.
//   - stdin:  {"id": 1, "op": "mutex.lock", "args": {...}}
//   - stdout: {"ready": true, "pid": 123} once, then
//     {"id": 1, "ok": true, "result": ...} or {"id": 1, "ok": false, "error": {"name", "code", "message"}},
//     and events {"event": "acquired", "at": <unix ms>, "seq": n, ...} at any time.
//
// Every request runs in its own goroutine, so a blocking one (a lock, a campaign, a dequeue)
// does not hold up the others; its answer comes when it is done, after its event. Events carry
// a sequence number: their order is the order in which the Go calls returned.
//
// Arguments: -endpoints 127.0.0.1:2379,..., -ttl <session TTL seconds> and -namespace <prefix>
// (applied to every key with clientv3/namespace, as Conclave's `namespace` option and
// `etcd grpc-proxy --namespace` do). The process exits when stdin closes (after closing its
// sessions, bounded).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/concurrency"
	"go.etcd.io/etcd/clientv3/namespace"
)

type request struct {
	ID   int64           `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args"`
}

// args are every op's arguments; each op reads the ones it needs.
type args struct {
	Obj      string `json:"obj"`      // the handle of a mutex, election, rwlock or double barrier
	Session  string `json:"session"`  // the session it lives on (default: its own, named like obj)
	Name     string `json:"name"`     // the etcd prefix / key of the primitive
	Value    string `json:"value"`    // a campaign or proclaim value, a queue item
	Priority uint16 `json:"priority"` // a priority queue item's priority
	Count    int    `json:"count"`    // a double barrier's count
	TTL      int    `json:"ttl"`      // a session's TTL (seconds)
	Target   int64  `json:"target"`   // the request id to cancel
}

type driver struct {
	client     *clientv3.Client
	defaultTTL int
	out        *json.Encoder
	outMu      sync.Mutex
	seq        int64

	mu       sync.Mutex
	sessions map[string]*concurrency.Session
	objects  map[string]interface{}
	cancels  map[int64]context.CancelFunc
}

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated etcd endpoints")
	ttl := flag.Int("ttl", 10, "default session TTL in seconds")
	ns := flag.String("namespace", "", "key prefix applied to every key")
	flag.Parse()
	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(2)
	}
	if *ns != "" {
		client.KV = namespace.NewKV(client.KV, *ns)
		client.Watcher = namespace.NewWatcher(client.Watcher, *ns)
		client.Lease = namespace.NewLease(client.Lease, *ns)
	}
	d := &driver{
		client:     client,
		defaultTTL: *ttl,
		out:        json.NewEncoder(os.Stdout),
		sessions:   map[string]*concurrency.Session{},
		objects:    map[string]interface{}{},
		cancels:    map[int64]context.CancelFunc{},
	}
	d.write(map[string]interface{}{"ready": true, "pid": os.Getpid()})
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	var running sync.WaitGroup
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad request line:", err)
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		d.mu.Lock()
		d.cancels[req.ID] = cancel
		d.mu.Unlock()
		running.Add(1)
		go func() {
			defer running.Done()
			d.serve(ctx, req)
			d.mu.Lock()
			delete(d.cancels, req.ID)
			d.mu.Unlock()
			cancel()
		}()
	}
	d.shutdown()
}

// shutdown revokes every session (so no key outlives the process), bounded in time.
func (d *driver) shutdown() {
	done := make(chan struct{})
	go func() {
		d.mu.Lock()
		for _, s := range d.sessions {
			_ = s.Close()
		}
		d.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	os.Exit(0)
}

func (d *driver) serve(ctx context.Context, req request) {
	var a args
	if len(req.Args) > 0 {
		if err := json.Unmarshal(req.Args, &a); err != nil {
			d.reply(req.ID, nil, err)
			return
		}
	}
	result, err := d.dispatch(ctx, req.ID, req.Op, a)
	d.reply(req.ID, result, err)
}

func (d *driver) write(v interface{}) {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	if err := d.out.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
	}
}

func (d *driver) reply(id int64, result interface{}, err error) {
	if err != nil {
		d.write(map[string]interface{}{"id": id, "ok": false, "error": map[string]string{
			"name": fmt.Sprintf("%T", err), "code": errorCode(err), "message": err.Error(),
		}})
		return
	}
	d.write(map[string]interface{}{"id": id, "ok": true, "result": result})
}

// emit reports an event; fields are merged into it.
func (d *driver) emit(name string, fields map[string]interface{}) {
	d.outMu.Lock()
	d.seq++
	msg := map[string]interface{}{"event": name, "at": time.Now().UnixMilli(), "seq": d.seq}
	for k, v := range fields {
		msg[k] = v
	}
	err := d.out.Encode(msg)
	d.outMu.Unlock()
	if err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
	}
}

func errorCode(err error) string {
	switch err {
	case context.Canceled:
		return "CANCELED"
	case concurrency.ErrElectionNoLeader:
		return "NO_LEADER"
	case concurrency.ErrElectionNotLeader:
		return "NOT_LEADER"
	}
	return ""
}

// session returns the named session (default: the one named like the object), opening it on first use.
func (d *driver) session(a args) (*concurrency.Session, error) {
	name := a.Session
	if name == "" {
		name = a.Obj
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.sessions[name]; ok {
		return s, nil
	}
	ttl := a.TTL
	if ttl <= 0 {
		ttl = d.defaultTTL
	}
	s, err := concurrency.NewSession(d.client, concurrency.WithTTL(ttl))
	if err != nil {
		return nil, err
	}
	d.sessions[name] = s
	return s, nil
}

// object returns the object named a.Obj, creating it with make on first use.
func (d *driver) object(a args, make func(s *concurrency.Session) interface{}) (interface{}, error) {
	if a.Obj == "" {
		return nil, fmt.Errorf("obj is required")
	}
	d.mu.Lock()
	o, ok := d.objects[a.Obj]
	d.mu.Unlock()
	if ok {
		return o, nil
	}
	s, err := d.session(a)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if o, ok := d.objects[a.Obj]; ok {
		return o, nil
	}
	o = make(s)
	d.objects[a.Obj] = o
	return o, nil
}

// cancel cancels the context of a running request (a lock, a campaign, an observe).
func (d *driver) cancel(target int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cancels[target]
	if ok {
		c()
	}
	return ok
}

// closeSession revokes a session: its keys are deleted at once.
func (d *driver) closeSession(name string) error {
	d.mu.Lock()
	s, ok := d.sessions[name]
	delete(d.sessions, name)
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("no session %q", name)
	}
	return s.Close()
}
