// The donor of the precompiled torch/torch.h that the tests, examples and benchmarks reuse
// (CMakeLists.txt): built only for its precompiled header.
int main() { return 0; }
