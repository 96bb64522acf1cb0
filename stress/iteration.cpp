#include "iteration.hpp"

#include <algorithm>

namespace sink_stress {

std::size_t add_absence_claims(std::uint64_t key, std::vector<op_record>& key_ops,
                               const std::vector<iteration_record>& full_walks) {
    if (full_walks.empty()) {
        return 0;
    }
    std::vector<std::uint64_t> yielded_by;  // iteration ids that yielded the key
    std::vector<std::pair<std::uint64_t, std::uint64_t>> changes;  // [inv, resp] of changing calls
    for (const op_record& r : key_ops) {
        if (r.kind == op_kind::iter_read) {
            yielded_by.push_back(r.arg);
        } else if (r.changed_state()) {
            changes.emplace_back(r.inv, r.resp);
        }
    }
    std::sort(yielded_by.begin(), yielded_by.end());
    std::size_t added = 0;
    for (const iteration_record& w : full_walks) {
        if (std::binary_search(yielded_by.begin(), yielded_by.end(), w.id)) {
            continue;
        }
        const bool overlapped = std::any_of(changes.begin(), changes.end(), [&w](const auto& c) {
            return c.first < w.resp && c.second > w.inv;
        });
        if (overlapped) {
            continue;  // the key changed during the walk: either outcome is allowed
        }
        op_record claim;
        claim.kind = op_kind::absent_claim;
        claim.key = key;
        claim.arg = w.id;
        claim.result = absent;
        claim.inv = w.inv;
        claim.resp = w.resp;
        claim.thread = w.thread;
        key_ops.push_back(claim);
        ++added;
    }
    return added;
}

std::size_t add_erasure_claims(std::uint64_t key, std::vector<op_record>& key_ops) {
    const auto erases_all = [](const op_record& r) {
        return r.kind == op_kind::clear || r.kind == op_kind::erase_if_all;
    };
    std::vector<const op_record*> changes;  // every call that changed the key, the clears among them
    for (const op_record& r : key_ops) {
        if (r.changed_state()) {
            changes.push_back(&r);
        }
    }
    std::vector<op_record> claims;
    for (const op_record* e : changes) {
        if (!erases_all(*e)) {
            continue;
        }
        // Any other call that changed the key during this one, another
        // clear included, lets either outcome stand.
        const bool overlapped = std::any_of(changes.begin(), changes.end(), [e](const op_record* r) {
            return r != e && r->inv < e->resp && r->resp > e->inv;
        });
        if (overlapped) {
            continue;
        }
        op_record claim;
        claim.kind = op_kind::erased_claim;
        claim.key = key;
        claim.flag = e->kind == op_kind::erase_if_all;
        claim.inv = e->inv;
        claim.resp = e->resp;
        claim.thread = e->thread;
        claims.push_back(claim);
    }
    key_ops.insert(key_ops.end(), claims.begin(), claims.end());
    return claims.size();
}

}  // namespace sink_stress
