package main

import (
	"context"
	"fmt"

	"go.etcd.io/etcd/clientv3/concurrency"
	recipe "go.etcd.io/etcd/contrib/recipes"
)

// observer is an election observation running in the background until unobserved.
type observer struct{ stop context.CancelFunc }

// dispatch runs one op. On success it emits an event named like the op (with obj, name and the
// result's fields), so the tests can order completions; then the answer carries the result.
func (d *driver) dispatch(ctx context.Context, id int64, op string, a args) (interface{}, error) {
	result, err := d.run(ctx, op, a)
	if err != nil {
		return nil, err
	}
	fields := map[string]interface{}{"obj": a.Obj, "name": a.Name, "request": id}
	for k, v := range result {
		fields[k] = v
	}
	d.emit(op, fields)
	return result, nil
}

type fields = map[string]interface{}

func (d *driver) run(ctx context.Context, op string, a args) (fields, error) {
	switch op {
	case "ping":
		return fields{}, nil
	case "cancel":
		return fields{"cancelled": d.cancel(a.Target)}, nil
	case "session.open":
		s, err := d.session(a)
		if err != nil {
			return nil, err
		}
		return fields{"lease": fmt.Sprintf("%x", int64(s.Lease()))}, nil
	case "session.close":
		return fields{}, d.closeSession(a.Session)

	case "mutex.lock", "mutex.unlock":
		o, err := d.object(a, func(s *concurrency.Session) interface{} { return concurrency.NewMutex(s, a.Name) })
		if err != nil {
			return nil, err
		}
		m, ok := o.(*concurrency.Mutex)
		if !ok {
			return nil, fmt.Errorf("%s is not a mutex", a.Obj)
		}
		if op == "mutex.unlock" {
			key := m.Key()
			return fields{"key": key}, m.Unlock(ctx)
		}
		if err := m.Lock(ctx); err != nil {
			return nil, err
		}
		return fields{"key": m.Key(), "revision": fmt.Sprint(m.Header().Revision)}, nil

	case "election.campaign", "election.proclaim", "election.resign", "election.leader", "election.observe":
		o, err := d.object(a, func(s *concurrency.Session) interface{} { return concurrency.NewElection(s, a.Name) })
		if err != nil {
			return nil, err
		}
		e, ok := o.(*concurrency.Election)
		if !ok {
			return nil, fmt.Errorf("%s is not an election", a.Obj)
		}
		return d.election(ctx, op, a, e)
	case "election.unobserve":
		d.mu.Lock()
		o, ok := d.objects["observe:"+a.Obj].(*observer)
		delete(d.objects, "observe:"+a.Obj)
		d.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("%s does not observe", a.Obj)
		}
		o.stop()
		return fields{}, nil

	case "rwlock.rlock", "rwlock.runlock", "rwlock.lock", "rwlock.unlock":
		o, err := d.object(a, func(s *concurrency.Session) interface{} { return recipe.NewRWMutex(s, a.Name) })
		if err != nil {
			return nil, err
		}
		rw, ok := o.(*recipe.RWMutex)
		if !ok {
			return nil, fmt.Errorf("%s is not an rwlock", a.Obj)
		}
		switch op {
		case "rwlock.rlock":
			return fields{}, rw.RLock()
		case "rwlock.runlock":
			return fields{}, rw.RUnlock()
		case "rwlock.lock":
			return fields{}, rw.Lock()
		default:
			return fields{}, rw.Unlock()
		}

	case "queue.enqueue":
		return fields{"value": a.Value}, recipe.NewQueue(d.client, a.Name).Enqueue(a.Value)
	case "queue.dequeue":
		v, err := recipe.NewQueue(d.client, a.Name).Dequeue()
		return fields{"value": v}, err
	case "pqueue.enqueue":
		return fields{"value": a.Value, "priority": a.Priority}, recipe.NewPriorityQueue(d.client, a.Name).Enqueue(a.Value, a.Priority)
	case "pqueue.dequeue":
		v, err := recipe.NewPriorityQueue(d.client, a.Name).Dequeue()
		return fields{"value": v}, err

	case "barrier.hold":
		return fields{}, recipe.NewBarrier(d.client, a.Name).Hold()
	case "barrier.release":
		return fields{}, recipe.NewBarrier(d.client, a.Name).Release()
	case "barrier.wait":
		return fields{}, recipe.NewBarrier(d.client, a.Name).Wait()

	case "dbarrier.enter", "dbarrier.leave":
		o, err := d.object(a, func(s *concurrency.Session) interface{} { return recipe.NewDoubleBarrier(s, a.Name, a.Count) })
		if err != nil {
			return nil, err
		}
		b, ok := o.(*recipe.DoubleBarrier)
		if !ok {
			return nil, fmt.Errorf("%s is not a double barrier", a.Obj)
		}
		if op == "dbarrier.enter" {
			return fields{}, b.Enter()
		}
		return fields{}, b.Leave()
	}
	return nil, fmt.Errorf("unknown op %q", op)
}

func (d *driver) election(ctx context.Context, op string, a args, e *concurrency.Election) (fields, error) {
	switch op {
	case "election.campaign":
		if err := e.Campaign(ctx, a.Value); err != nil {
			return nil, err
		}
		return fields{"key": e.Key(), "revision": fmt.Sprint(e.Rev()), "value": a.Value}, nil
	case "election.proclaim":
		return fields{"value": a.Value}, e.Proclaim(ctx, a.Value)
	case "election.resign":
		key := e.Key()
		return fields{"key": key}, e.Resign(ctx)
	case "election.leader":
		resp, err := e.Leader(ctx)
		if err == concurrency.ErrElectionNoLeader {
			return fields{"leader": nil}, nil
		}
		if err != nil {
			return nil, err
		}
		kv := resp.Kvs[0]
		return fields{"leader": fields{"key": string(kv.Key), "value": string(kv.Value), "revision": fmt.Sprint(kv.CreateRevision)}}, nil
	default: // election.observe: events "election.observed" until election.unobserve
		octx, stop := context.WithCancel(context.Background())
		d.mu.Lock()
		d.objects["observe:"+a.Obj] = &observer{stop}
		d.mu.Unlock()
		ch := e.Observe(octx)
		go func() {
			for resp := range ch {
				kv := resp.Kvs[0]
				d.emit("election.observed", fields{
					"obj": a.Obj, "name": a.Name, "key": string(kv.Key), "value": string(kv.Value),
					"revision": fmt.Sprint(kv.CreateRevision), "modRevision": fmt.Sprint(kv.ModRevision),
				})
			}
			d.emit("election.observe-ended", fields{"obj": a.Obj, "name": a.Name})
		}()
		return fields{}, nil
	}
}
