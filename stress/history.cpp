#include "history.hpp"

namespace sink_stress {

const char* name(op_kind k) noexcept {
    switch (k) {
        case op_kind::load: return "load";
        case op_kind::contains: return "contains";
        case op_kind::find: return "find";
        case op_kind::store: return "store";
        case op_kind::load_or_store: return "load_or_store";
        case op_kind::exchange: return "exchange";
        case op_kind::compare_and_swap: return "compare_and_swap";
        case op_kind::erase: return "erase";
        case op_kind::load_and_erase: return "load_and_erase";
        case op_kind::compare_and_erase: return "compare_and_erase";
        case op_kind::update: return "update";
        case op_kind::insert_or_assign: return "insert_or_assign";
        case op_kind::erase_if: return "erase_if";
        case op_kind::erase_if_all: return "erase_if(pred)";
        case op_kind::clear: return "clear";
        case op_kind::iter_read: return "iteration yielded";
        case op_kind::absent_claim: return "full iteration skipped the key";
        case op_kind::erased_claim: return "clear or erase_if(pred) left the key";
    }
    return "?";
}

bool op_record::changed_state() const noexcept {
    switch (kind) {
        case op_kind::store:
        case op_kind::exchange:
        case op_kind::insert_or_assign:
            return true;
        case op_kind::load_or_store:
            return !flag;
        case op_kind::compare_and_swap:
        case op_kind::erase:
        case op_kind::compare_and_erase:
        case op_kind::update:
        case op_kind::erase_if:
            return flag;
        case op_kind::load_and_erase:
            return result != absent;
        case op_kind::clear:
        case op_kind::erase_if_all:
            return true;  // may have erased any key
        default:
            return false;
    }
}

std::string describe_value(std::uint64_t id) {
    if (id == absent) {
        return "absent";
    }
    if ((id & phantom_bit) != 0) {
        return "never-written";
    }
    const std::uint64_t thread = (id >> 40) - 1;
    const std::uint64_t seq = id & ((std::uint64_t{1} << 40) - 1);
    return "w" + std::to_string(thread) + "." + std::to_string(seq);
}

std::string describe_call(const op_record& r) {
    const std::string v = describe_value(r.arg);
    const std::string res = describe_value(r.result);
    const char* yes_no = r.flag ? "true" : "false";
    switch (r.kind) {
        case op_kind::load: return "load -> " + res;
        case op_kind::find: return "find -> " + res;
        case op_kind::contains: return std::string("contains -> ") + yes_no;
        case op_kind::store: return "store(" + v + ")";
        case op_kind::load_or_store:
            return "load_or_store(" + v + ") -> (" + res + ", loaded=" + yes_no + ")";
        case op_kind::exchange: return "exchange(" + v + ") -> " + res;
        case op_kind::compare_and_swap:
            return "compare_and_swap(" + v + " -> " + describe_value(r.arg2) + ") -> " + yes_no;
        case op_kind::erase: return std::string("erase -> ") + yes_no;
        case op_kind::load_and_erase: return "load_and_erase -> " + res;
        case op_kind::compare_and_erase: return "compare_and_erase(" + v + ") -> " + yes_no;
        case op_kind::update:
            return "update(f: " + describe_value(r.arg2) + " -> " + v + ") -> " + (r.flag ? res : "absent");
        case op_kind::insert_or_assign: return "insert_or_assign(" + v + ") -> inserted=" + yes_no;
        case op_kind::erase_if:
            return "erase_if(pred last on " + describe_value(r.arg2) + ") -> " + yes_no;
        case op_kind::clear: return "clear";
        case op_kind::erase_if_all: return "erase_if(pred) of the whole map";
        case op_kind::iter_read: return "iteration #" + std::to_string(r.arg) + " yielded " + res;
        case op_kind::absent_claim:
            return "iteration #" + std::to_string(r.arg) + " (full walk, no write overlapped) skipped the key";
        case op_kind::erased_claim:
            return r.flag ? "erase_if(pred) overlapped by no write: the key must be absent or rejected by pred by its end"
                          : "clear overlapped by no write: the key must be absent by its end";
    }
    return "?";
}

}  // namespace sink_stress
