// tiny_network on the CPU: see tiny_network.hpp for the network and what it shows of the API.
#include "tiny_network.hpp"

int main() { return tiny_network::train<dae::cpu>("cpu", 200); }
