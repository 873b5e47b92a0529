// lenet on the CPU: see lenet.hpp for the network, the data and the flags (--help).
#include "lenet.hpp"

int main(int argc, char** argv) { return lenet::run<dae::cpu>(argc, argv, "lenet", "cpu"); }
