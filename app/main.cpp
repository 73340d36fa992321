#include <cstdio>
int main() {
    std::puts("consolegate");
    return 0;
}
