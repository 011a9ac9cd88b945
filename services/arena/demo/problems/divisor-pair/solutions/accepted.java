import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        long n = new Scanner(System.in).nextLong(), d = 2;
        while (n % d != 0) d++;
        System.out.println(d + " " + n / d);
    }
}
