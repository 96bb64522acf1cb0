// A lock-free stack (Treiber) whose pop is made safe by sink's hazard
// pointers: the example of the hazard-pointer interface on its own.
// Four threads push and pop; at the end every pushed value was popped once.
#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include <sink/hazard_pointer.hpp>

template <class T>
class stack {
    struct node : sink::hazard_pointer_obj_base<node> {
        explicit node(T v) : value(std::move(v)) {}
        T value;
        node* next = nullptr;
    };

public:
    ~stack() {
        while (pop()) {
        }
    }

    void push(T value) {
        node* n = new node(std::move(value));
        n->next = head_.load(sink::detail::mo_relaxed);
        // Release: the node's contents are visible to whoever pops it.
        while (!head_.compare_exchange_weak(n->next, n, sink::detail::mo_release, sink::detail::mo_relaxed)) {
        }
    }

    std::optional<T> pop() {
        sink::hazard_pointer hp = sink::make_hazard_pointer();
        for (;;) {
            node* top = hp.protect(head_);  // top cannot be freed while we look at it
            if (top == nullptr) {
                return std::nullopt;
            }
            // Safe to read top->next: top is protected. The CAS cannot succeed
            // on a recycled top (ABA): top is not freed while protected.
            if (head_.compare_exchange_strong(top, top->next, sink::detail::mo_acquire, sink::detail::mo_relaxed)) {
                std::optional<T> value(std::move(top->value));
                hp.reset_protection();
                top->retire();  // we unlinked it: we retire it, exactly once
                return value;
            }
        }
    }

private:
    sink::atomic<node*> head_{nullptr};
};

int main() {
    constexpr int threads = 4;
    constexpr int per_thread = 50000;
    stack<int> s;
    std::atomic<long long> popped_sum{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                s.push(t * per_thread + i);
                if (auto v = s.pop()) {
                    popped_sum.fetch_add(*v);
                }
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    while (auto v = s.pop()) {
        popped_sum.fetch_add(*v);
    }
    const long long n = static_cast<long long>(threads) * per_thread;
    const long long expected = n * (n - 1) / 2;
    const sink::hazard_pointer_stats st = sink::hazard_pointer_default_domain().stats();
    std::printf("popped sum %lld (expected %lld); retired %llu, reclaimed %llu, backlog %llu (bound %zu)\n",
                popped_sum.load(), expected, static_cast<unsigned long long>(st.retired),
                static_cast<unsigned long long>(st.reclaimed), static_cast<unsigned long long>(st.backlog),
                st.backlog_bound);
    return popped_sum.load() == expected && st.backlog <= st.backlog_bound ? 0 : 1;
}
